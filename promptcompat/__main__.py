from promptcompat.cli.entry import main

main()
