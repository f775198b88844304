package mailer

import "github.com/boardpack/boardpack/services/internal/domain/delivery"

// addrHasher names email addresses in logs and logged errors by a keyed
// hash (delivery.AddrHasher), keyed from the unsubscribe key.
type addrHasher = delivery.AddrHasher

func newAddrHasher(unsubscribeKey string) addrHasher {
	return delivery.NewAddrHasher([]byte(unsubscribeKey))
}
