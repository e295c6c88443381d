package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// stepTimeout bounds every wait of the browser tests: a condition that is
// not met by then fails the test with a screenshot.
const stepTimeout = 20 * time.Second

// chromiumPath finds the browser: HOTLINE_CHROMIUM, else Debian's chromium.
// It fails the test loudly when there is none (skipping only under -short),
// because a missing browser must not look like a passing console.
func chromiumPath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("HOTLINE_CHROMIUM"); p != "" {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("HOTLINE_CHROMIUM names no browser: %v", err)
		}
		return p
	}
	for _, name := range []string{"/usr/bin/chromium", "chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if testing.Short() {
		t.Skip("Chromium is not installed; skipped under -short")
	}
	t.Fatal("Chromium is not installed, so the console cannot be tested in a browser. " +
		"Install it (and the Chinese font) with `bash deploy/local/services.sh test-tools` " +
		"(apt-get install chromium fonts-wqy-microhei), or set HOTLINE_CHROMIUM to a Chromium binary.")
	return ""
}

// artifactsDir is where screenshots go: HOTLINE_ARTIFACTS, else
// .artifacts/browser at the repository root (git-ignored).
func artifactsDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("HOTLINE_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join("..", "..", ".artifacts", "browser")
	}
	dir = filepath.Join(dir, t.Name())
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("artefacts directory: %v", err)
	}
	return dir
}

// newBrowser starts headless Chromium for the test and returns a context
// whose children open tabs in it.
func newBrowser(t *testing.T, execPath string) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(execPath),
		chromedp.NoSandbox, // the tests run as root
		chromedp.WindowSize(1440, 1000),
		chromedp.Flag("lang", "zh-CN"),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	browserCtx, cancelBrowser := chromedp.NewContext(allocCtx)
	t.Cleanup(cancelBrowser)
	if err := chromedp.Do(browserCtx); err != nil { // starts the browser, with no timeout
		t.Fatalf("start Chromium (%s): %v", execPath, err)
	}
	return browserCtx
}

// tab is one user's browser: its own browser context (cookies), a record
// of JavaScript dialogs and uncaught exceptions, and the screenshots.
type tab struct {
	t     *testing.T
	name  string
	ctx   context.Context
	dir   string
	shots *int

	mu         sync.Mutex
	dialogs    []string
	exceptions []string
	console    []string
}

func newTab(t *testing.T, browser context.Context, name, dir string, shots *int) *tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("%s: open a tab: %v", name, err)
	}
	b := &tab{t: t, name: name, ctx: ctx, dir: dir, shots: shots}
	err := chromedp.Listen(ctx, func(ev any) {
		switch ev := ev.(type) {
		case *page.EventJavascriptDialogOpening:
			b.mu.Lock()
			b.dialogs = append(b.dialogs, fmt.Sprintf("%s: %q", ev.Type, ev.Message))
			b.mu.Unlock()
			// A dialog blocks the page: dismiss it from outside this loop.
			go chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false})
		case *runtime.EventExceptionThrown:
			b.mu.Lock()
			b.exceptions = append(b.exceptions, exceptionText(ev.ExceptionDetails))
			b.mu.Unlock()
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeWarning {
				var parts []string
				for _, a := range ev.Args {
					parts = append(parts, strings.Trim(string(a.Value), `"`)+a.Description)
				}
				b.mu.Lock()
				b.console = append(b.console, string(ev.Type)+": "+strings.Join(parts, " "))
				b.mu.Unlock()
			}
		}
	})
	if err != nil {
		t.Fatalf("%s: listen: %v", name, err)
	}
	return b
}

func exceptionText(d *runtime.ExceptionDetails) string {
	if d == nil {
		return ""
	}
	s := d.Text
	if d.Exception != nil && d.Exception.Description != "" {
		s += " " + d.Exception.Description
	}
	return fmt.Sprintf("%s (%s:%d)", s, d.URL, d.LineNumber+1)
}

// do runs actions with the step timeout; on failure it saves a screenshot
// and fails the test, naming the step.
func (b *tab) do(step string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.fail(step, err)
	}
}

// text returns an element's textContent once it exists.
func (b *tab) text(step, sel string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.TextContent(chromedp.CSS(sel)))
	if err != nil {
		b.fail(step, err)
	}
	return strings.TrimSpace(s)
}

// eval evaluates a JavaScript expression and returns its value.
func eval[T any](b *tab, step, expr string, opts ...chromedp.EvaluateOption) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, opts...))
	if err != nil {
		b.fail(step, err)
	}
	return v
}

// until waits for a JavaScript condition on the page.
func (b *tab) until(step, expr string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	_, err := chromedp.Run(ctx, chromedp.Poll[bool](expr,
		chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(stepTimeout)))
	if err != nil {
		b.fail(step, fmt.Errorf("waiting for %s: %w", expr, err))
	}
}

func (b *tab) fail(step string, err error) {
	b.t.Helper()
	b.shot("FAILED-" + step)
	b.mu.Lock()
	logs := strings.Join(append(append([]string{}, b.exceptions...), b.console...), "\n  ")
	b.mu.Unlock()
	if errors.Is(err, context.DeadlineExceeded) {
		err = fmt.Errorf("not done within %s: %w", stepTimeout, err)
	}
	b.t.Fatalf("%s: %s: %v\n  browser log:\n  %s", b.name, step, err, logs)
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9_.-]+`)

// shot saves a full-page screenshot as the next numbered artefact.
func (b *tab) shot(name string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Logf("%s: screenshot %s: %v", b.name, name, err)
		return
	}
	*b.shots++
	file := filepath.Join(b.dir, fmt.Sprintf("%02d-%s-%s.png", *b.shots, b.name, unsafeName.ReplaceAllString(name, "_")))
	if err := os.WriteFile(file, png, 0o644); err != nil {
		b.t.Errorf("save screenshot: %v", err)
	}
}

// login opens the console and logs in; the page reloads into the user's
// first view once the websocket is connected.
func (b *tab) login(base, user, password string) {
	b.t.Helper()
	b.do("open the console", chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.ID("login-username")))
	b.do("log in",
		chromedp.SendKeys(chromedp.ID("login-username"), user),
		chromedp.SendKeys(chromedp.ID("login-password"), password),
		chromedp.Click(chromedp.ID("login-submit")),
		chromedp.WaitVisible(chromedp.ID("workspace")),
		chromedp.WaitVisible(chromedp.CSS(`#conn[data-state="open"]`)),
	)
}

// checkClean fails the test if the page opened a dialog or threw.
func (b *tab) checkClean() {
	b.t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.dialogs) > 0 {
		b.t.Errorf("%s: JavaScript dialogs opened (injected script ran?): %v", b.name, b.dialogs)
	}
	if len(b.exceptions) > 0 {
		b.t.Errorf("%s: uncaught JavaScript exceptions: %v", b.name, b.exceptions)
	}
}

// altKey presses Alt+key, as a keyboard user would for a shortcut.
func altKey(key string) chromedp.Action[chromedp.Void] {
	return chromedp.KeyEvent(key, chromedp.KeyModifiers(chromedp.ModifierAlt))
}

// typeKey presses a printable key as a keyboard does: a keyDown that
// carries the text, so that a page which cancels the keydown (as the
// console's shortcuts do) also cancels the character. chromedp.KeyEvent
// sends the character as a separate event, which no handler can cancel.
func typeKey(key, code string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		for _, p := range []input.DispatchKeyEventParams{
			{Type: input.DispatchKeyEventTypeKeyDown, Key: key, Code: code, Text: key, UnmodifiedText: key},
			{Type: input.DispatchKeyEventTypeKeyUp, Key: key, Code: code},
		} {
			if _, err := cdp.Call(ctx, t, input.DispatchKeyEvent, p); err != nil {
				return err
			}
		}
		return nil
	})
}
