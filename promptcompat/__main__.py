from promptcompat.cli import main

main()
