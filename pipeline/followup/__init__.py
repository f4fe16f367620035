"""After collect: return packets (差し戻し), the reminder list (督促リスト), and the year's status."""
