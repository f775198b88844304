package delivery

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"regexp"
)

// AddrHasher names email addresses in logs and logged errors without
// writing them: a keyed hash (HMAC-SHA256), because an unkeyed hash of an
// address is reversed by hashing a list of likely addresses. The key is
// derived from a secret the service already holds (the mailer's and the
// alerter's unsubscribe keys), so it needs no secret of its own and the
// same address hashes the same across replicas and restarts.
type AddrHasher struct{ key []byte }

// NewAddrHasher derives the hashing key from secret.
func NewAddrHasher(secret []byte) AddrHasher {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("boardpack log address hash"))
	return AddrHasher{key: m.Sum(nil)}
}

// Of is the hash that stands for address (compared in its bare,
// lower-cased form).
func (h AddrHasher) Of(address string) string {
	m := hmac.New(sha256.New, h.key)
	m.Write([]byte(Address(address)))
	return hex.EncodeToString(m.Sum(nil)[:6])
}

// emailLike is anything that reads as an address in free text. "#" is
// left out of the local part: record keys (SEND#report#address) put it
// before the address.
var emailLike = regexp.MustCompile(`[A-Za-z0-9.!$%&'*+/=?^_{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+`)

// Redact replaces every address in s with "addr:" and its hash.
func (h AddrHasher) Redact(s string) string {
	return emailLike.ReplaceAllStringFunc(s, func(a string) string { return "addr:" + h.Of(a) })
}

// Err is err with the addresses in its message replaced by their hashes;
// errors.Is and errors.As still see the original chain.
func (h AddrHasher) Err(err error) error {
	if err == nil {
		return nil
	}
	msg := h.Redact(err.Error())
	if msg == err.Error() {
		return err
	}
	return redactedError{msg: msg, err: err}
}

type redactedError struct {
	msg string
	err error
}

func (e redactedError) Error() string { return e.msg }
func (e redactedError) Unwrap() error { return e.err }
