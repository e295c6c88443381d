package prompts

import (
	"bytes"
	"log/slog"
	"slices"
	"testing"

	"github.com/open12345/hotline/errs"
)

func TestNumber_SpeaksTheChineseWay(t *testing.T) {
	for n, want := range map[int][]string{
		1:   {"digit_1"},
		9:   {"digit_9"},
		10:  {"number_ten"},
		12:  {"number_ten", "digit_2"},
		20:  {"digit_2", "number_ten"},
		31:  {"digit_3", "number_ten", "digit_1"},
		99:  {"digit_9", "number_ten", "digit_9"},
		0:   nil,
		-1:  nil,
		100: nil,
	} {
		got := Number(n)
		if !slices.Equal(got, want) {
			t.Errorf("Number(%d) = %q, want %q", n, got, want)
		}
		for _, name := range got {
			if !Known(name) {
				t.Errorf("Number(%d) names %s, which is no prompt", n, name)
			}
		}
	}
}

// Departments' names are operators' recordings, department_<code> with
// a code of ticketing's shape; nothing else of the kind is a name.
func TestKnown_DepartmentRecordings(t *testing.T) {
	for _, name := range []string{"department_cgj", "department_0", "department_gz-rsj", Department("a1-b2")} {
		if !Known(name) {
			t.Errorf("%q is not known, want a department's prompt", name)
		}
	}
	for _, name := range []string{"department_", "department_CGJ", "department_-cgj", "department_../welcome",
		"department_cgj.wav", "department_a/b", "department_" + string(make([]byte, 41)), "department_城管", "departmentcgj"} {
		if Known(name) {
			t.Errorf("%q is known, want refused", name)
		}
	}
}

// A department's prompt plays only from a recording: without one it is
// not_found, so the IVR leaves the department out; a recording is listed
// and can be removed.
func TestLibrary_DepartmentPlaysOnlyARecording(t *testing.T) {
	dataDir := t.TempDir()
	var logs bytes.Buffer
	lib := New(dataDir, slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if _, err := lib.Open(Department("cgj")); errs.CodeOf(err) != errs.NotFound {
		t.Fatalf("a department without a recording: %v, want not_found", err)
	}
	if err := lib.Put(Department("cgj"), bytes.NewReader(wav(1, 1, 8000, 16, 0.3))); err != nil {
		t.Fatal(err)
	}
	p, err := lib.Open(Department("cgj"))
	if err != nil || p.Path == "" {
		t.Fatalf("the recorded department: %+v, %v", p, err)
	}
	list := lib.List()
	if len(list) != len(Names())+1 || list[len(list)-1] != (Info{Name: "department_cgj", Recorded: true}) {
		t.Fatalf("List ends with %+v (%d prompts), want the department's recording after the %d built-in ones",
			list[len(list)-1], len(list), len(Names()))
	}
	if err := lib.Delete(Department("cgj")); err != nil {
		t.Fatal(err)
	}
	if _, err := lib.Open(Department("cgj")); errs.CodeOf(err) != errs.NotFound {
		t.Fatalf("after Delete: %v, want not_found", err)
	}
	if len(lib.List()) != len(Names()) {
		t.Fatal("the removed recording is still listed")
	}
	if logs.Len() != 0 {
		t.Errorf("logged %q, want no warning", logs.String())
	}
}
