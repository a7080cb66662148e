from kontor.manage import main

main()
