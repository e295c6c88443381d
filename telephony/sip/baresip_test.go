package sip_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/open12345/hotline/internal/testenv"
)

// startBaresip runs baresip as agent1's phone registering to e with pass;
// it is killed when the test ends. It returns the process and its log.
func startBaresip(t *testing.T, e *edge, pass string) (*exec.Cmd, string) {
	t.Helper()
	if testing.Short() {
		t.Skip("baresip: integration test (skipped under -short)")
	}
	bin, err := exec.LookPath("baresip")
	if err != nil {
		t.Fatalf("baresip is not installed (apt-get install baresip): %v", err)
	}
	dir := t.TempDir()
	config := strings.Join([]string{
		"poll_method epoll",
		"sip_listen 127.0.0.1:0",
		"net_interface 127.0.0.1",
		"audio_player aufile,/dev/null",
		"audio_source ausine,440",
		"module_path /usr/lib/baresip/modules",
		"module g711.so",
		"module ausine.so",
		"module aufile.so",
		"module_app account.so",
	}, "\n") + "\n"
	account := fmt.Sprintf("<sip:agent1@%s;transport=udp>;auth_pass=%s;regint=60\n", e.srv.Addr(), pass)
	for name, text := range map[string]string{"config": config, "accounts": account} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(bin, "-f", dir, "-t", "120")
	log, err := os.Create(filepath.Join(dir, "baresip.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatalf("start baresip: %v", err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			if err := cmd.Process.Kill(); err != nil {
				t.Errorf("kill baresip: %v", err)
			}
			_ = cmd.Wait() // killed: its exit status says so
		}
		if t.Failed() {
			out, _ := os.ReadFile(log.Name())
			t.Logf("baresip output:\n%s", out)
		}
		if err := log.Close(); err != nil {
			t.Errorf("close baresip log: %v", err)
		}
	})
	return cmd, log.Name()
}

func TestBaresip_RegistersAndUnregisters(t *testing.T) {
	e := startEdge(t)
	cmd, _ := startBaresip(t, e, password)
	testenv.Eventually(t, "baresip to register", func() bool {
		_, ok := e.registrar.Lookup("agent1")
		return ok
	})
	got, _ := e.registrar.Lookup("agent1")
	if !strings.HasPrefix(got.Contact, "sip:agent1") || !strings.Contains(got.Contact, "127.0.0.1:") || got.Transport != "udp" {
		t.Fatalf("baresip's binding %+v", got)
	}
	// On a clean exit baresip unregisters (Expires: 0).
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, "baresip to unregister", func() bool { return len(e.eventList()) == 2 })
	if got, want := e.eventList(), []string{"agent1:true", "agent1:false"}; !slices.Equal(got, want) {
		t.Fatalf("events %v, want %v", got, want)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("baresip exit: %v", err)
	}
}

func TestBaresip_WrongPasswordIsNotRegistered(t *testing.T) {
	e := startEdge(t)
	_, log := startBaresip(t, e, "not-the-password")
	testenv.Eventually(t, "baresip to be refused", func() bool {
		out, err := os.ReadFile(log)
		return err == nil && strings.Contains(string(out), "403 Forbidden")
	})
	if _, ok := e.registrar.Lookup("agent1"); ok {
		t.Fatal("baresip registered with a wrong password")
	}
}
