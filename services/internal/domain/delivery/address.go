package delivery

import (
	"net/mail"
	"strings"
)

// Address is the form every record keys an address on: the bare address,
// lower-cased. Recipients may be written "Name <Address>" in the tenants
// file, while SES events and unsubscribe links carry the bare address; send,
// suppression and unsubscribe records must meet on one key.
func Address(s string) string {
	if a, err := mail.ParseAddress(s); err == nil {
		return strings.ToLower(a.Address)
	}
	return strings.ToLower(strings.TrimSpace(s))
}
