package tier
