// Command hotline runs a city's 12345 government service hotline: the
// staff API and console, ticket workflow and dispatch, the knowledge base
// of matter guides, and (in later versions) SIP and web chat.
//
//	hotline serve | migrate | seed [--demo] | reindex | reports rebuild|check | user add | user sip-password | token --user NAME | version
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"
	_ "time/tzdata" // deadlines need Asia/Shanghai even where the OS has no zone data
)

const usage = `usage: hotline <command> [flags]

commands:
  serve              run the hotline server (migrates first)
  migrate            bring the database schema up to date
  seed [--demo]      load the 2026 calendar and default policies; --demo adds
                     departments, demo accounts, the catalogue, matter guides
                     and sample tickets
  reindex            build the embedded index from the database and repair
                     Meilisearch (a running server: POST /api/v1/admin/search/verify)
  reports rebuild --from DAY --to DAY
                     recount the reports' daily aggregates from the facts
  reports check --from DAY --to DAY
                     compare the aggregates with a recount of the facts
  user add           create a staff account (password from stdin or HOTLINE_USER_PASSWORD)
  user sip-password --username NAME
                     set the password of a user's SIP phones (from stdin or
                     HOTLINE_USER_PASSWORD), stored as HA1 for HOTLINE_SIP_REALM
  token --user NAME  print a bearer token for scripts
  version            print the version

Configuration comes from HOTLINE_* environment variables; run
'hotline <command> -h' for the flags that override them.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "hotline:", err)
		}
		os.Exit(2)
	}
}

// run executes one command; it is main without the process around it.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return flag.ErrHelp
	}
	cmd, rest := args[0], args[1:]
	if cmd == "user" {
		if len(rest) == 0 || rest[0] != "add" && rest[0] != "sip-password" {
			return fmt.Errorf("usage: hotline user add --username NAME --role ROLE [--department CODE] | hotline user sip-password --username NAME")
		}
		cmd, rest = "user "+rest[0], rest[1:]
	}
	if cmd == "reports" {
		if len(rest) == 0 || rest[0] != "rebuild" && rest[0] != "check" {
			return fmt.Errorf("usage: hotline reports rebuild|check [--from YYYY-MM-DD] [--to YYYY-MM-DD]")
		}
		cmd, rest = "reports "+rest[0], rest[1:]
	}
	cfg := configFromEnv(environ)
	fs := flag.NewFlagSet("hotline "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg.bindFlags(fs)
	c := &command{cfg: &cfg, stdin: stdin, stdout: stdout}
	var runCmd func(context.Context) error
	switch cmd {
	case "serve":
		runCmd = c.serve
	case "migrate":
		runCmd = c.migrate
	case "seed":
		fs.BoolVar(&c.demo, "demo", false, "also load the demo departments, accounts, catalogue and sample tickets")
		runCmd = c.seed
	case "reindex":
		runCmd = c.reindex
	case "reports rebuild":
		c.reports.bind(fs)
		runCmd = c.rebuildReports
	case "reports check":
		c.reports.bind(fs)
		runCmd = c.checkReports
	case "user add":
		c.bindUserFlags(fs)
		runCmd = c.addUser
	case "user sip-password":
		fs.StringVar(&c.user.Username, "username", "", "login name")
		runCmd = c.setSIPPassword
	case "token":
		fs.StringVar(&c.user.Username, "user", "", "username to issue the token for")
		c.ttl = 30 * 24 * time.Hour
		fs.Var(durationIn{p: &c.ttl, max: 365 * 24 * time.Hour, example: "720h"}, "ttl", "lifetime of the token")
		runCmd = c.token
	case "version":
		fmt.Fprintln(stdout, "hotline", version())
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("unknown command %q", cmd)
	}
	if err := fs.Parse(rest); err != nil {
		return err
	}
	if err := cfg.validate(); err != nil {
		return err
	}
	c.log = newLogger(stderr, cfg.LogFormat, cfg.LogLevel)
	return runCmd(ctx)
}

// newLogger logs to w in format (json or text) from level up.
func newLogger(w io.Writer, format string, level slog.Level) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	if format == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}
