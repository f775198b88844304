package episodes

// The alerter's key shapes live in package table (ALERT#...). Notification
// claims are delivery sends under SendID.

// SendID is the delivery "report id" under which a notification's sends
// are claimed and recorded (SEND#alert.<notification id>#<recipient>).
func SendID(notificationID string) string { return "alert." + notificationID }
