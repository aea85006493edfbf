from havenwatch.cli import main

main()
