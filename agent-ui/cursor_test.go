package agentui

import "testing"

func FuzzDecodeCursor(f *testing.F) {
	f.Add(encodeCursor(42))
	f.Add("dDE")
	f.Add("' OR 1=1 --")
	f.Fuzz(func(t *testing.T, c string) {
		id, err := decodeCursor(c)
		if err != nil {
			return
		}
		if id <= 0 {
			t.Fatalf("cursor %q decoded to %d", c, id)
		}
		if back, err := decodeCursor(encodeCursor(id)); err != nil || back != id {
			t.Fatalf("cursor of %d does not round-trip: %d %v", id, back, err)
		}
	})
}
