from roost.entrypoints.cli import main

main()
