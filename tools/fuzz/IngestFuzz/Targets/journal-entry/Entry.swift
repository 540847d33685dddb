import FuzzCases

@main enum Main { static func main() { FuzzMain.run(.journalEntry) } }
