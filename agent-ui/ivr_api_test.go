package agentui_test

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	agentui "github.com/open12345/hotline/agent-ui"
	"github.com/open12345/hotline/internal/httpx"
	"github.com/open12345/hotline/internal/testenv"
	"github.com/open12345/hotline/postgres"
	"github.com/open12345/hotline/routing"
	"github.com/open12345/hotline/telephony"
	"github.com/open12345/hotline/telephony/prompts"
)

// lateMenus are loaded once the test's database exists, after the server
// that uses them was built.
type lateMenus struct{ *telephony.Menus }

// ivrEnv is an env whose server has the IVR menu (on the test database
// and routing's queues) and a prompts library in dataDir.
type ivrEnv struct {
	*env
	menus   *lateMenus
	lib     *prompts.Library
	dataDir string
}

func newIVREnv(t *testing.T) *ivrEnv {
	t.Helper()
	v := &ivrEnv{menus: &lateMenus{}, dataDir: t.TempDir()}
	v.lib = prompts.New(v.dataDir, slog.New(slog.DiscardHandler))
	v.env = newEnvWith(t, func(d *agentui.Deps) { d.IVRMenus, d.Prompts = v.menus, v.lib })
	queueKnown := func(name string) bool {
		return slices.ContainsFunc(v.routing.Queues(), func(q routing.QueueConfig) bool { return q.Name == name })
	}
	var err error
	v.menus.Menus, err = telephony.LoadMenus(context.Background(), postgres.NewIVRStore(v.db), queueKnown, prompts.Known)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

type menuJSON struct {
	Choices []struct {
		Key, Label, Prompt, Queue, Action string
	}
	Fallback string
}

func (v *ivrEnv) menu(user string) menuJSON {
	v.t.Helper()
	var m menuJSON
	v.must(v.call(user, "GET", "/api/v1/ivr/menu", nil), 200, &m)
	return m
}

const defaultMenuJSON = `{"choices":[{"key":"1","label":"咨询","prompt":"","queue":"consultation","action":"queue"},` +
	`{"key":"2","label":"投诉举报","prompt":"","queue":"complaint","action":"queue"},` +
	`{"key":"3","label":"建议","prompt":"","queue":"suggestion","action":"queue"},` +
	`{"key":"4","label":"进度查询","prompt":"","queue":"general","action":"progress"},` +
	`{"key":"0","label":"人工服务","prompt":"","queue":"general","action":"queue"}],` +
	`"fallback":"general"}`

// Staff read the menu, an admin replaces it, and the next call plays
// the new one.
func TestIVRMenu_AdminChangesItStaffReadIt(t *testing.T) {
	v := newIVREnv(t)
	r := v.call("agent1", "GET", "/api/v1/ivr/menu", nil)
	if r.Status != 200 || strings.TrimSpace(string(r.Body)) != defaultMenuJSON {
		t.Fatalf("the migrated menu: %d %s\nwant %s", r.Status, r.Body, defaultMenuJSON)
	}
	changed := map[string]any{"choices": []map[string]string{
		{"key": "#", "label": "人工服务", "queue": "general"},
		{"key": "1", "label": "咨询", "prompt": "busy", "queue": "consultation"},
		{"key": "5", "label": "查进度", "queue": "general", "action": "progress"},
	}, "fallback": "consultation"}
	var saved menuJSON
	v.must(v.call("admin", "PUT", "/api/v1/ivr/menu", changed), 200, &saved)
	if got := v.menu("supervisor"); !reflect.DeepEqual(got, saved) || len(got.Choices) != 3 || got.Choices[0].Key != "#" ||
		got.Choices[0].Action != "queue" || got.Choices[1].Prompt != "busy" || got.Choices[2].Action != "progress" ||
		got.Fallback != "consultation" {
		t.Fatalf("after the change: %+v (PUT answered %+v)", got, saved)
	}
	calls := v.menus.Menu() // what the next call plays
	if c, ok := calls.Choice('#'); !ok || c.Queue != "general" || calls.Fallback != "consultation" {
		t.Errorf("the call flow's menu: %+v", calls)
	}
	if c, ok := calls.Choice('5'); !ok || c.Action != telephony.ActionProgress {
		t.Errorf("key 5 of the call flow's menu: %+v, want the progress lookup", c)
	}
	if _, ok := calls.Choice('2'); ok {
		t.Error("key 2 still has a choice for the call flow")
	}
	for _, c := range []struct {
		user   string
		status int
	}{{"supervisor", 403}, {"agent1", 403}, {"dept-rsj", 403}, {"", 401}} {
		if r := v.call(c.user, "PUT", "/api/v1/ivr/menu", changed); r.Status != c.status {
			t.Errorf("%q puts the menu: %d %s, want %d", c.user, r.Status, r.Body, c.status)
		}
	}
	if r := v.call("dept-rsj", "GET", "/api/v1/ivr/menu", nil); r.Status != 403 {
		t.Errorf("a department reads the menu: %d, want 403", r.Status)
	}
	if r := v.call("agent1", "GET", "/api/v1/ivr/menu?key=1", nil); r.Status != 400 {
		t.Errorf("GET with a query parameter: %d, want 400", r.Status)
	}
}

func TestIVRMenu_RefusesHostileInput(t *testing.T) {
	v := newIVREnv(t)
	choice := func(key, queue string) map[string]string { return map[string]string{"key": key, "queue": queue} }
	menu := func(choices ...map[string]string) map[string]any {
		return map[string]any{"choices": choices, "fallback": "general"}
	}
	tests := []struct {
		name   string
		body   any
		status int
		want   string // in the message
	}{
		{"BadJSON", []byte(`{"choices":[`), 400, "malformed JSON"},
		{"NotAnObject", []byte(`["1"]`), 400, "malformed JSON"},
		{"Empty", []byte(``), 400, "empty"},
		{"UnknownField", []byte(`{"choices":[{"key":"1","queue":"general","digit":1}],"fallback":"general"}`), 400, "unknown field"},
		{"KeyAsNumber", []byte(`{"choices":[{"key":1,"queue":"general"}],"fallback":"general"}`), 400, "must be string"},
		{"Key9", menu(choice("1", "general"), choice("9", "general")), 400, "key 9"},
		{"TwoCharacterKey", menu(choice("ab", "general")), 400, "choices[0].key"},
		{"TwoDigitKey", menu(choice("1", "general"), choice("10", "general")), 400, "choices[1].key"},
		{"EmptyKey", menu(choice("", "general")), 400, "choices[0].key"},
		{"LetterKey", menu(choice("a", "general")), 400, "0-8, * or #"},
		{"FullWidthKey", menu(choice("１", "general")), 400, "0-8, * or #"},
		{"DuplicateKey", menu(choice("1", "general"), choice("1", "complaint")), 400, "two choices"},
		{"NoChoices", map[string]any{"choices": []any{}, "fallback": "general"}, 400, "at least one"},
		{"NullChoices", map[string]any{"choices": nil, "fallback": "general"}, 400, "at least one"},
		{"UnknownQueue", menu(choice("1", "nowhere")), 400, `no queue \"nowhere\"`},
		{"NoQueue", menu(choice("1", "")), 400, "needs a queue"},
		{"UnknownFallback", map[string]any{"choices": []any{choice("1", "general")}, "fallback": "nowhere"}, 400, `no queue \"nowhere\"`},
		{"NoFallback", map[string]any{"choices": []any{choice("1", "general")}}, 400, "fallback needs a queue"},
		{"UnknownPrompt", menu(map[string]string{"key": "1", "queue": "general", "prompt": "../../etc/passwd"}), 400, "no prompt"},
		{"UnknownAction", menu(map[string]string{"key": "1", "queue": "general", "action": "shell"}), 400, "action of key 1"},
		{"ControlInLabel", menu(map[string]string{"key": "1", "queue": "general", "label": "咨\x1b[31m询"}), 400, "control character"},
		{"LongLabel", menu(map[string]string{"key": "1", "queue": "general", "label": strings.Repeat("咨", 41)}), 400, "longer than 40"},
		{"Oversize", menu(map[string]string{"key": "1", "queue": "general", "label": strings.Repeat("x", httpx.MaxBodyBytes)}), 413, "larger than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v.t = t
			r := v.call("admin", "PUT", "/api/v1/ivr/menu", tt.body)
			if r.Status != tt.status || !strings.Contains(string(r.Body), tt.want) {
				t.Fatalf("%d %s, want %d saying %q", r.Status, r.Body, tt.status, tt.want)
			}
			v.errorCode(r)
		})
	}
	v.t = t
	if r := v.callWith("admin", "PUT", "/api/v1/ivr/menu", []byte(`{"choices":[{"key":"1","queue":"general"}],"fallback":"general"}`), "text/plain"); r.Status != 400 {
		t.Errorf("a menu sent as text/plain: %d, want 400", r.Status)
	}
	if r := v.call("admin", "GET", "/api/v1/ivr/menu", nil); strings.TrimSpace(string(r.Body)) != defaultMenuJSON {
		t.Fatalf("refused requests changed the menu: %s", r.Body)
	}
}

// pcmWAV is a WAV file of silence in the given format.
func pcmWAV(format, channels uint16, rate uint32, bits uint16, samples int) []byte {
	return testenv.WAV(format, channels, rate, bits, make([]byte, samples*int(channels)*int(bits)/8))
}

func (v *ivrEnv) recorded() []string {
	v.t.Helper()
	var out struct {
		Items []struct {
			Name     string
			Recorded bool
			Problem  string
		}
	}
	v.must(v.call("supervisor", "GET", "/api/v1/ivr/prompts", nil), 200, &out)
	if len(out.Items) != len(prompts.Names()) {
		v.t.Fatalf("%d prompts listed, want %d", len(out.Items), len(prompts.Names()))
	}
	var names []string
	for _, p := range out.Items {
		if p.Recorded {
			names = append(names, p.Name)
		}
	}
	return names
}

// An admin uploads a recording of a prompt, which plays from the next
// play on, and deletes it to bring the built-in prompt back.
func TestIVRPrompts_UploadAndDelete(t *testing.T) {
	v := newIVREnv(t)
	if got := v.recorded(); len(got) != 0 {
		t.Fatalf("recorded before any upload: %v", got)
	}
	recording := pcmWAV(1, 1, 8000, 16, 4000)
	if r := v.callWith("admin", "PUT", "/api/v1/ivr/prompts/welcome", recording, "audio/wav"); r.Status != 204 {
		t.Fatalf("upload: %d %s", r.Status, r.Body)
	}
	if got := v.recorded(); !slices.Equal(got, []string{"welcome"}) {
		t.Fatalf("recorded %v, want [welcome]", got)
	}
	p, err := v.lib.Open(prompts.Welcome)
	if err != nil || !bytes.Equal(p.WAV, recording) {
		t.Fatalf("the next play of welcome: %v, %d bytes; want the recording", err, len(p.WAV))
	}
	// A cookie request from the console's page may upload too.
	if r := v.cookieCall("admin", "PUT", "/api/v1/ivr/prompts/menu", recording,
		map[string]string{"Origin": v.srv.URL, "Content-Type": "audio/wav"}); r.Status != 204 {
		t.Fatalf("upload from the console: %d %s", r.Status, r.Body)
	}
	if r := v.call("admin", "DELETE", "/api/v1/ivr/prompts/welcome", nil); r.Status != 204 {
		t.Fatalf("delete: %d %s", r.Status, r.Body)
	}
	if p, err := v.lib.Open(prompts.Welcome); err != nil || p.Path != "" {
		t.Fatalf("welcome after the delete: %v; want the built-in prompt", err)
	}
	if got := v.recorded(); !slices.Equal(got, []string{"menu"}) {
		t.Fatalf("recorded %v, want [menu]", got)
	}
	if r := v.call("admin", "DELETE", "/api/v1/ivr/prompts/welcome", nil); r.Status != 404 {
		t.Errorf("deleting again: %d, want 404", r.Status)
	}
}

func TestIVRPrompts_RefusesHostileUploads(t *testing.T) {
	v := newIVREnv(t)
	good := pcmWAV(1, 1, 8000, 16, 800)
	tests := []struct {
		name, user, method, path, contentType string
		body                                  []byte
		status                                int
		want                                  string
	}{
		{"NotWAV", "admin", "PUT", "welcome", "audio/wav", []byte("ID3\x04 an mp3 file"), 400, "not a WAV file"},
		{"Empty", "admin", "PUT", "welcome", "audio/wav", nil, 400, "not a WAV file"},
		{"WrongSampleRate", "admin", "PUT", "welcome", "audio/wav", pcmWAV(1, 1, 44100, 16, 800), 400, "44100 Hz"},
		{"Stereo", "admin", "PUT", "welcome", "audio/wav", pcmWAV(1, 2, 8000, 16, 800), 400, "2 channel(s)"},
		{"EightBit", "admin", "PUT", "welcome", "audio/wav", pcmWAV(1, 1, 8000, 8, 800), 400, "8-bit"},
		{"ALaw", "admin", "PUT", "welcome", "audio/wav", pcmWAV(6, 1, 8000, 8, 800), 400, "format 6"},
		{"Oversize", "admin", "PUT", "welcome", "audio/wav", append(bytes.Clone(good), make([]byte, prompts.MaxSize)...), 413, "at most"},
		{"JSONType", "admin", "PUT", "welcome", "application/json", good, 400, "audio/wav"},
		{"NoType", "admin", "PUT", "welcome", "", good, 400, "audio/wav"},
		{"UnknownName", "admin", "PUT", "nope", "audio/wav", good, 404, "no prompt"},
		{"EncodedTraversal", "admin", "PUT", "..%2Fwelcome", "audio/wav", good, 404, "no prompt"},
		{"EncodedDots", "admin", "PUT", "%2E%2E%2F%2E%2E%2Fx", "audio/wav", good, 404, "no prompt"},
		{"FileName", "admin", "PUT", "welcome.wav", "audio/wav", good, 404, "no prompt"},
		{"DeleteTraversal", "admin", "DELETE", "..%2Fwelcome", "", nil, 404, "no prompt"},
		{"Supervisor", "supervisor", "PUT", "welcome", "audio/wav", good, 403, "may not"},
		{"Agent", "agent1", "PUT", "welcome", "audio/wav", good, 403, "may not"},
		{"Department", "dept-rsj", "PUT", "welcome", "audio/wav", good, 403, "may not"},
		{"AgentDeletes", "agent1", "DELETE", "welcome", "", nil, 403, "may not"},
		{"Anonymous", "", "PUT", "welcome", "audio/wav", good, 401, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v.t = t
			r := v.callWith(tt.user, tt.method, "/api/v1/ivr/prompts/"+tt.path, tt.body, tt.contentType)
			if r.Status != tt.status || !strings.Contains(string(r.Body), tt.want) {
				t.Fatalf("%d %s, want %d saying %q", r.Status, r.Body, tt.status, tt.want)
			}
			v.errorCode(r)
		})
	}
	v.t = t
	for _, user := range []string{"agent1", "dept-rsj"} {
		if r := v.call(user, "GET", "/api/v1/ivr/prompts", nil); r.Status != 403 {
			t.Errorf("%s lists the prompts: %d, want 403", user, r.Status)
		}
	}
	var left []string
	err := filepath.WalkDir(v.dataDir, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			left = append(left, path)
		}
		return err
	})
	if err != nil || len(left) != 0 {
		t.Fatalf("refused uploads left files %v (%v)", left, err)
	}
}

// Without telephony the endpoints say so instead of pretending.
func TestIVR_UnavailableWithoutTelephony(t *testing.T) {
	e := newEnv(t)
	for _, r := range []response{
		e.call("agent1", "GET", "/api/v1/ivr/menu", nil),
		e.call("admin", "PUT", "/api/v1/ivr/menu", []byte(`{"choices":[{"key":"1","queue":"general"}],"fallback":"general"}`)),
		e.call("supervisor", "GET", "/api/v1/ivr/prompts", nil),
		e.callWith("admin", "PUT", "/api/v1/ivr/prompts/welcome", pcmWAV(1, 1, 8000, 16, 800), "audio/wav"),
		e.call("admin", "DELETE", "/api/v1/ivr/prompts/welcome", nil),
	} {
		if r.Status != 503 || e.errorCode(r) != "unavailable" {
			t.Errorf("%d %s, want 503 unavailable", r.Status, r.Body)
		}
	}
}
