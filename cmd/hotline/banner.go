package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strings"

	"github.com/open12345/hotline/auth"
)

// printBanner writes where the running server answers and, when the demo
// accounts exist, how to log in: serve prints it once start-up is
// complete, so that these are the last lines an operator sees.
func (m *Main) printBanner(ctx context.Context, w io.Writer) error {
	logins, err := m.demoLoginsLine(ctx)
	if err != nil {
		return err
	}
	base := "http://" + browsable(m.HTTPAddr())
	metrics := ""
	if m.Config.MetricsToken != "" {
		metrics = " (with Authorization: Bearer $HOTLINE_METRICS_TOKEN)"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "hotline %s ready\n", version())
	fmt.Fprintf(&b, "  console:  %s/\n", base)
	fmt.Fprintf(&b, "  citizens: %s/submit (web form), %s/progress (progress lookup)\n", base, base)
	fmt.Fprintf(&b, "  API:      %s/api/v1/\n", base)
	fmt.Fprintf(&b, "  metrics:  %s/metrics%s\n", base, metrics)
	if m.sip != nil {
		sipAddr := browsable(m.SIPAddr())
		fmt.Fprintf(&b, "  SIP:      %s (UDP and TCP): call sip:%s@%s; agents' phones register as sip:<username>@%s with their SIP password (hotline user sip-password)\n",
			sipAddr, m.Config.SIPNumber, sipAddr, sipAddr)
	}
	if m.Config.SMSURL == "" {
		b.WriteString("  SMS:      no gateway (HOTLINE_SMS_URL): nothing is sent; the texts and codes are in the log\n")
	}
	if logins != "" {
		fmt.Fprintf(&b, "  %s\n", logins)
	}
	_, err = io.WriteString(w, b.String())
	return err
}

// demoLoginsLine tells the demo logins if the demo accounts exist: with
// their password while it is still HOTLINE_DEMO_PASSWORD.
func (m *Main) demoLoginsLine(ctx context.Context) (string, error) {
	users, err := m.Auth.Users(ctx)
	if err != nil {
		return "", fmt.Errorf("look for the demo accounts: %w", err)
	}
	found := map[string]*auth.User{}
	for _, u := range users {
		found[u.Username] = u
	}
	agent, ok := found["agent1"]
	if !ok || found["admin"] == nil || found["supervisor"] == nil {
		return "", nil
	}
	same, err := auth.VerifyPassword(agent.PasswordHash, m.Config.DemoPassword)
	if err != nil {
		return "", fmt.Errorf("check the demo password: %w", err)
	}
	if !same {
		return "demo logins: admin, supervisor, agent1…agent5, dept-<code> (their password is no longer HOTLINE_DEMO_PASSWORD)", nil
	}
	return fmt.Sprintf("demo logins (password %q, also the phones' SIP password of agents and the supervisor): admin, supervisor, agent1…agent5, dept-<code> (e.g. dept-rsj)", m.Config.DemoPassword), nil
}

// browsable is addr with an unspecified host (0.0.0.0, ::) replaced by
// loopback, which a browser on the same machine can open.
func browsable(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if a, err := netip.ParseAddr(host); err == nil && a.IsUnspecified() {
		host = "127.0.0.1"
		if a.Is6() && !a.Is4In6() {
			host = "::1"
		}
	}
	return net.JoinHostPort(host, port)
}
