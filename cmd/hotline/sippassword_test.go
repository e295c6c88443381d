package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/open12345/hotline/postgres"
	"github.com/open12345/hotline/postgres/pgtest"
	"github.com/open12345/hotline/telephony"
)

func TestRun_UserSIPPassword(t *testing.T) {
	db := pgtest.NewDB(t)
	t.Setenv("HOTLINE_DATABASE_URL", db.Pool.Config().ConnString())
	t.Setenv("HOTLINE_LOG_LEVEL", "warn")
	t.Setenv("HOTLINE_SIP_REALM", "12345.example")
	ctx := context.Background()
	runCmd := func(stdin string, args ...string) (string, error) {
		var out bytes.Buffer
		err := run(ctx, args, strings.NewReader(stdin), &out, &out)
		return out.String(), err
	}
	if out, err := runCmd("s3cret-password\n", "user", "add", "--username", "agent7", "--role", "agent"); err != nil {
		t.Fatalf("user add: %v %s", err, out)
	}
	if out, err := runCmd("desk-phone-pass\n", "user", "sip-password", "--username", "agent7"); err != nil || !strings.Contains(out, "agent7") {
		t.Fatalf("sip-password: %v %s", err, out)
	}
	c, err := postgres.NewSIPStore(db).SIPCredential(ctx, "agent7")
	if err != nil || c.Realm != "12345.example" || c.HA1 != telephony.HA1("agent7", "12345.example", "desk-phone-pass") {
		t.Fatalf("stored %+v, %v", c, err)
	}
	if _, err := runCmd("desk-phone-pass\n", "user", "sip-password", "--username", "nobody"); err == nil {
		t.Fatal("unknown user accepted")
	}
	if _, err := runCmd("short\n", "user", "sip-password", "--username", "agent7"); err == nil {
		t.Fatal("short SIP password accepted")
	}
	if _, err := runCmd("desk-phone-pass\n", "user", "sip-password"); err == nil {
		t.Fatal("missing --username accepted")
	}
}
