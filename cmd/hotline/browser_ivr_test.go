package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/open12345/hotline/internal/testenv"
)

// TestBrowser_AdminEditsTheVoiceMenu: an admin relabels a key, adds one,
// is told why a menu without a key cannot be saved, and replaces a
// prompt with a recording of the city's own, then takes it back.
func TestBrowser_AdminEditsTheVoiceMenu(t *testing.T) {
	chromium := chromiumPath(t)
	m := startDemo(t)
	base := "http://" + m.HTTPAddr()
	dir := artifactsDir(t)
	shots := 0
	admin := newTab(t, newBrowser(t, chromium), "admin", dir, &shots)
	admin.login(base, "admin", browserPassword)
	admin.do("the voice menu",
		chromedp.Click(chromedp.ID("nav-ivr")),
		chromedp.WaitVisible(chromedp.CSS(`#ivr-rows tr[data-key="1"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#prompt-rows tr[data-prompt="welcome"][data-recorded="false"]`)))

	admin.do("relabel 1, add 5 for suggestions, save",
		chromedp.SetValue(chromedp.CSS(`#ivr-rows tr[data-key="1"] input[data-field="label"]`), "政策咨询"),
		chromedp.Click(chromedp.ID("ivr-add")),
		chromedp.SetValue(chromedp.CSS(`#ivr-rows tr:last-child select[data-field="key"]`), "5"),
		chromedp.SetValue(chromedp.CSS(`#ivr-rows tr:last-child select[data-field="queue"]`), "suggestion"),
		chromedp.Click(chromedp.ID("ivr-save")),
		chromedp.WaitVisible(chromedp.CSS(`#ivr-rows tr[data-key="5"]`)))
	type choice struct{ Key, Label, Queue, Action string }
	menu := func() (choices []choice) {
		t.Helper()
		res := apiGet(t, m, bearer(t, m, "admin"), "/api/v1/ivr/menu", nil)
		var body struct {
			Choices []choice `json:"choices"`
		}
		if err := json.NewDecoder(res.Body).Decode(&body); err != nil || res.StatusCode != 200 {
			t.Fatalf("GET /ivr/menu: %d %v", res.StatusCode, err)
		}
		return body.Choices
	}
	saved := menu()
	if !slices.ContainsFunc(saved, func(c choice) bool { return c.Key == "1" && c.Label == "政策咨询" && c.Action == "queue" }) ||
		!slices.ContainsFunc(saved, func(c choice) bool { return c.Key == "4" && c.Action == "progress" }) ||
		!slices.ContainsFunc(saved, func(c choice) bool { return c.Key == "5" && c.Queue == "suggestion" && c.Action == "queue" }) {
		t.Fatalf("the saved menu %+v lacks the changes", saved)
	}
	admin.shot("ivr-saved")

	admin.do("a choice without a key is refused",
		chromedp.Click(chromedp.ID("ivr-add")),
		chromedp.SetValue(chromedp.CSS(`#ivr-rows tr:last-child select[data-field="queue"]`), "general"),
		chromedp.Click(chromedp.ID("ivr-save")))
	admin.until("the error shown", `document.querySelector("#ivr-error").textContent !== ""`)
	if got := menu(); len(got) != len(saved) {
		t.Fatalf("a refused save changed the menu to %+v", got)
	}

	wav := filepath.Join(t.TempDir(), "welcome.wav")
	if err := os.WriteFile(wav, testenv.WAV(1, 1, 8000, 16, testenv.Sine(8000, 440, 8000, 8000)), 0o600); err != nil {
		t.Fatal(err)
	}
	admin.do("record the welcome",
		chromedp.SetUploadFiles(chromedp.CSS(`#prompt-rows tr[data-prompt="welcome"] input[type="file"]`), []string{wav}),
		chromedp.WaitVisible(chromedp.CSS(`#prompt-rows tr[data-prompt="welcome"][data-recorded="true"]`)))
	if _, err := os.Stat(filepath.Join(m.Config.DataDir, "prompts", "welcome.wav")); err != nil {
		t.Fatalf("the recording is not where the library reads it: %v", err)
	}
	admin.shot("ivr-recorded")
	admin.do("back to the built-in welcome",
		chromedp.Click(chromedp.CSS(`#prompt-rows tr[data-prompt="welcome"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`#prompt-rows tr[data-prompt="welcome"][data-recorded="false"]`)))
	admin.checkClean()
}
