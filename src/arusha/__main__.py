from arusha.cli.app import main

main()
