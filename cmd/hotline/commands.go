package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/open12345/hotline/auth"
	"github.com/open12345/hotline/clock"
	"github.com/open12345/hotline/demo"
	"github.com/open12345/hotline/knowledge"
	"github.com/open12345/hotline/postgres"
	"github.com/open12345/hotline/telephony"
	"github.com/open12345/hotline/ticketing"
)

// command holds what the subcommands share.
type command struct {
	cfg     *Config
	log     *slog.Logger
	stdin   io.Reader
	stdout  io.Writer
	demo    bool
	user    auth.NewUser
	ttl     time.Duration
	reports reportRange
}

// version is set at build time with -ldflags "-X main.buildVersion=…".
var buildVersion = ""

func version() string {
	if buildVersion != "" {
		return buildVersion
	}
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" {
				return "dev-" + s.Value[:min(12, len(s.Value))]
			}
		}
	}
	return "dev"
}

// serve runs the server until ctx ends (SIGINT or SIGTERM), then shuts
// down gracefully. Once start-up is complete it prints the URLs and the
// demo logins, the last lines until shutdown.
func (c *command) serve(ctx context.Context) error {
	m := NewMain(*c.cfg, c.log)
	if err := m.Run(ctx); err != nil {
		return err
	}
	if err := m.printBanner(ctx, c.stdout); err != nil && ctx.Err() == nil {
		return errors.Join(err, m.Close())
	}
	<-ctx.Done()
	c.log.Info("shutting down: finishing in-flight requests")
	return m.Close()
}

func (c *command) openDB(ctx context.Context) (*postgres.DB, error) {
	db, err := postgres.Open(ctx, c.cfg.DatabaseURL)
	if err != nil {
		return nil, err
	}
	if _, err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

func (c *command) migrate(ctx context.Context) error {
	db, err := postgres.Open(ctx, c.cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer db.Close()
	v, err := db.Migrate(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "schema at version %d\n", v)
	return nil
}

func (c *command) authService(db *postgres.DB) (*auth.Service, error) {
	return auth.NewService(postgres.NewUserStore(db), postgres.NewQuotaStore(db), clock.System{}, auth.DefaultHasher(), c.log)
}

// seed loads reference data, and with --demo the demo data.
func (c *command) seed(ctx context.Context) error {
	db, err := c.openDB(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	store := postgres.NewTicketStore(db)
	if err := store.SaveCalendarYear(ctx, ticketing.DefaultYear(2026)); err != nil {
		return fmt.Errorf("seed calendar: %w", err)
	}
	if !c.demo {
		fmt.Fprintln(c.stdout, "loaded the 2026 calendar")
		return nil
	}
	users, err := c.authService(db)
	if err != nil {
		return err
	}
	loc := c.cfg.TZ
	guides := knowledge.NewService(postgres.NewGuideStore(db), nil, knowledge.NewAnalyzer(nil), clock.System{}, loc, c.log, nil)
	sum, err := demo.Seed(ctx, store, postgres.NewDispatchStore(db), users, guides, loc, c.log,
		demo.Options{Password: c.cfg.DemoPassword, Now: time.Now()})
	if err != nil {
		return err
	}
	phones, err := demoSIPPasswords(ctx, users, telephony.NewCredentials(postgres.NewSIPStore(db), c.cfg.SIPRealm), c.cfg.DemoPassword)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "demo data: %d departments, %d accounts (%d with a SIP phone password), %d sample tickets, %d matter guides saved\n",
		sum.Departments, sum.Users, phones, sum.Tickets, sum.Guides)
	return nil
}

// demoSIPPasswords gives the demo's agents and supervisors the demo
// password for their phones too, so that a softphone can register at once
// (sip:agent1@host); it returns how many.
func demoSIPPasswords(ctx context.Context, users *auth.Service, creds *telephony.Credentials, password string) (int, error) {
	all, err := users.Users(ctx)
	if err != nil {
		return 0, fmt.Errorf("list the demo accounts: %w", err)
	}
	n := 0
	for _, u := range all {
		if u.Role != auth.RoleAgent && u.Role != auth.RoleSupervisor {
			continue
		}
		if err := creds.SetPassword(ctx, u.Username, password); err != nil {
			return n, fmt.Errorf("SIP password of %s: %w", u.Username, err)
		}
		n++
	}
	return n, nil
}

func (c *command) bindUserFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.user.Username, "username", "", "login name")
	fs.StringVar(&c.user.DisplayName, "name", "", "display name")
	fs.Func("role", "admin, supervisor, agent or department", func(s string) error {
		r, err := auth.ParseRole(s)
		c.user.Role = r
		return err
	})
	fs.StringVar(&c.user.Department, "department", "", "department code (department users only)")
}

// addUser creates an account; the password comes from HOTLINE_USER_PASSWORD
// or the first line of standard input, never from a flag (flags show in ps).
func (c *command) addUser(ctx context.Context) error {
	var err error
	if c.user.Password, err = c.readPassword(); err != nil {
		return err
	}
	return c.withUsers(ctx, func(users *auth.Service) error {
		u, err := users.AddUser(ctx, c.user)
		if err != nil {
			return err
		}
		fmt.Fprintf(c.stdout, "created %s user %s (id %d)\n", u.Role, u.Username, u.ID)
		return nil
	})
}

// readPassword returns HOTLINE_USER_PASSWORD or the first line of
// standard input, never a flag (flags show in ps).
func (c *command) readPassword() (string, error) {
	if p := os.Getenv("HOTLINE_USER_PASSWORD"); p != "" {
		return p, nil
	}
	line, err := bufio.NewReader(io.LimitReader(c.stdin, 1024)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read password from stdin: %w", err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// setSIPPassword stores the HA1 of a user's SIP password for the realm.
func (c *command) setSIPPassword(ctx context.Context) error {
	if c.user.Username == "" {
		return fmt.Errorf("usage: hotline user sip-password --username NAME")
	}
	password, err := c.readPassword()
	if err != nil {
		return err
	}
	db, err := c.openDB(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	creds := telephony.NewCredentials(postgres.NewSIPStore(db), c.cfg.SIPRealm)
	if err := creds.SetPassword(ctx, c.user.Username, password); err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "set the SIP password of %s for realm %s\n", c.user.Username, c.cfg.SIPRealm)
	return nil
}

// token prints a bearer token for a user, for scripts.
func (c *command) token(ctx context.Context) error {
	if c.user.Username == "" {
		return fmt.Errorf("usage: hotline token --user NAME")
	}
	return c.withUsers(ctx, func(users *auth.Service) error {
		tok, err := users.IssueToken(ctx, c.user.Username, c.ttl)
		if err != nil {
			return err
		}
		fmt.Fprintln(c.stdout, tok)
		return nil
	})
}

// withUsers runs fn with the account service on a migrated database.
func (c *command) withUsers(ctx context.Context, fn func(*auth.Service) error) error {
	db, err := c.openDB(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	users, err := c.authService(db)
	if err != nil {
		return err
	}
	return fn(users)
}
