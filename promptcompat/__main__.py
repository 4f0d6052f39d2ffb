from promptcompat.entry import main

main()
