package knowledge

import "testing"

// TestCSVFormulaCellsAreDefusedAndRestored checks that an export never
// hands a spreadsheet a formula, and that importing it gives the text back.
func TestCSVFormulaCellsAreDefusedAndRestored(t *testing.T) {
	for _, cell := range []string{"=HYPERLINK(\"http://x\")", "+1", "-2", "@SUM(A1)", "\tx", "'=kept", "普通文本", "", "'"} {
		out := defuseFormula(cell)
		if out != "" && (out[0] == '=' || out[0] == '+' || out[0] == '-' || out[0] == '@' || out[0] == '\t') {
			t.Errorf("defuseFormula(%q) = %q starts a formula", cell, out)
		}
		if back := restoreFormula(out); back != cell {
			t.Errorf("restoreFormula(defuseFormula(%q)) = %q", cell, back)
		}
	}
}
