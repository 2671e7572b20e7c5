from monitor_app.app import main

main()
