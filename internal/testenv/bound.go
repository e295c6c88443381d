package testenv

import (
	"strings"
	"time"
)

// WhenBound retries fn while a test SIP peer's own UDP listener is not
// yet in sipgo's connection pool: right after diago's ServeBackground, a
// first request may try to bind the listener's port again ("address
// already in use"). Servers under test are not concerned: their
// listeners are long up when they send.
func WhenBound(fn func() error) error {
	for range 40 {
		err := fn()
		if err == nil || !strings.Contains(err.Error(), "address already in use") {
			return err
		}
		time.Sleep(25 * time.Millisecond)
	}
	return fn()
}
