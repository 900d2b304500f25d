extends RefCounted
## How scores read on screen: digits grouped by thousands ([code]1,257[/code]), and one row of
## a ranked list. Pure logic, no engine calls: the tests run it in Godot 3.


## [param value] with a comma between each group of three digits.
static func grouped(value: int) -> String:
	var digits := str(absi(value))
	var text := ""
	while digits.length() > 3:
		text = "," + digits.substr(digits.length() - 3) + text
		digits = digits.substr(0, digits.length() - 3)
	return ("-" if value < 0 else "") + digits + text


## One row of the leaderboard or the hiscore board: [code]3. zoë  12,345[/code].
static func row(rank: int, shown_name: String, score: int) -> String:
	return "%d. %s  %s" % [rank, shown_name, grouped(score)]
