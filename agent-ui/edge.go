package agentui

import (
	"net/url"

	"github.com/open12345/hotline/errs"
	"github.com/open12345/hotline/textguard"
)

// checkURL refuses a path or query string that is malformed, not UTF-8 or
// holds a forbidden character (textguard), once for every endpoint, so no
// handler and no SQL statement ever sees one.
func checkURL(u *url.URL) error {
	if err := textguard.Check("the path", u.Path, true); err != nil {
		return err
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return errs.E(errs.Invalid, "malformed query string")
	}
	for k, vs := range q {
		if err := textguard.Check("a query parameter name", k, true); err != nil {
			return err
		}
		for _, v := range vs {
			if err := textguard.Check("query parameter "+clip(k, 40), v, true); err != nil {
				return err
			}
		}
	}
	return nil
}
