package agentui_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	agentui "github.com/open12345/hotline/agent-ui"
	"github.com/open12345/hotline/postgres"
	"github.com/open12345/hotline/reports"
)

// reportEnv is an env whose server keeps reports, with three tickets of
// 2026-09-30: one closed directly, one dispatched to 人社局 and replied,
// one dispatched to 城管局.
type reportEnv struct {
	*env
	closed, replied, open ticket
}

func newReportEnv(t *testing.T) reportEnv {
	e := newEnvOn(t, func(db *postgres.DB, d *agentui.Deps) {
		store, err := postgres.NewReportStore(context.Background(), db, d.Tickets.Location())
		if err != nil {
			t.Fatal(err)
		}
		d.Reports = reports.NewService(store, store, d.Clock)
	})
	r := reportEnv{env: e}
	r.closed = e.mustAct("agent1", e.newTicket("consultation", nil).ID, "close_directly", map[string]any{"reply": "已解答"})
	r.replied = e.mustAct("agent1", e.newTicket("complaint", nil).ID, "dispatch", map[string]any{"department": "rsj"})
	e.mustAct("dept-rsj", r.replied.ID, "sign", nil)
	e.mustAct("dept-rsj", r.replied.ID, "reply", map[string]any{"reply": "已责令停工"})
	r.open = e.mustAct("agent2", e.newTicket("complaint", nil).ID, "dispatch", map[string]any{"department": "cgj"})
	return r
}

const september = "from=2026-09-01&to=2026-09-30"

func TestReports_SummaryByDepartment(t *testing.T) {
	e := newReportEnv(t)
	var sum reports.Summary
	e.must(e.call("supervisor", "GET", "/api/v1/reports/summary?"+september+"&group_by=department", nil), 200, &sum)
	if sum.From != "2026-09-01" || sum.To != "2026-09-30" || sum.GroupBy != reports.ByDepartment {
		t.Fatalf("summary of %s–%s by %s", sum.From, sum.To, sum.GroupBy)
	}
	rows := map[string]reports.Row{}
	for _, r := range sum.Rows {
		rows[r.Key] = r
	}
	// The ticket closed directly has no department: 未分类.
	if len(rows) != 3 || rows[""].Label != "未分类" || rows["rsj"].Label != "市人社局" || rows["cgj"].Label != "市城管局" {
		t.Fatalf("rows: %+v", sum.Rows)
	}
	// A ticket's creation concerns no department yet (docs/indicators.md).
	if rows[""].TicketsCreated != 3 || rows[""].ClosedDirectly != 1 || rows[""].Dispatched != 0 {
		t.Errorf("未分类: %+v", rows[""])
	}
	if r := rows["rsj"]; r.TicketsCreated != 0 || r.Dispatched != 1 || r.Replies != 1 || r.SignedOnTimeRate == nil || *r.SignedOnTimeRate != 1 {
		t.Errorf("人社局: %+v", r)
	}
	if r := rows["cgj"]; r.Dispatched != 1 || r.Replies != 0 || r.SignedOnTimeRate != nil || r.CompletedOnTimeRate != nil {
		t.Errorf("城管局 (dispatched, neither signed nor due yet): %+v", r)
	}
	tot := sum.Totals
	if tot.Label != "合计" || tot.TicketsCreated != 3 || tot.ClosedDirectly != 1 || tot.Dispatched != 2 ||
		tot.DirectResolutionRate == nil || *tot.DirectResolutionRate != 1.0/3 || tot.AnswerRate != nil || tot.CallsOffered != 0 {
		t.Errorf("totals: %+v", tot)
	}
}

func TestReports_CSVOpensInExcel(t *testing.T) {
	e := newReportEnv(t)
	r := e.call("supervisor", "GET", "/api/v1/reports/summary?"+september+"&group_by=department&format=csv", nil)
	if r.Status != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/csv") ||
		!strings.Contains(r.Header.Get("Content-Disposition"), `attachment; filename="12345-report-2026-09-01_2026-09-30-department.csv"`) {
		t.Fatalf("csv: %d %v", r.Status, r.Header)
	}
	body, ok := bytes.CutPrefix(r.Body, []byte{0xEF, 0xBB, 0xBF})
	if !ok {
		t.Fatalf("no UTF-8 byte-order mark: % x", r.Body[:min(8, len(r.Body))])
	}
	recs, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	header := recs[0]
	col := func(name string) int {
		i := slices.Index(header, name)
		if i < 0 {
			t.Fatalf("no column %s in %v", name, header)
		}
		return i
	}
	if header[0] != "按部门" || header[1] != "名称" {
		t.Fatalf("header: %v", header)
	}
	byLabel := map[string][]string{}
	for _, rec := range recs[1:] {
		byLabel[rec[1]] = rec
	}
	total, rsj := byLabel["合计"], byLabel["市人社局"]
	if len(recs) != 5 || total == nil || rsj == nil {
		t.Fatalf("rows: %v", recs)
	}
	for name, want := range map[string]string{"工单量": "3", "直接办结": "1", "直接办结率": "33.33%", "派单量": "2", "接通率": "", "按时签收率": "100.00%"} {
		if got := total[col(name)]; got != want {
			t.Errorf("合计 %s = %q, want %q", name, got, want)
		}
	}
	if got := rsj[col("答复量")]; got != "1" {
		t.Errorf("市人社局 答复量 = %q", got)
	}
}

func TestReports_WorkbookHasASheetPerGrouping(t *testing.T) {
	e := newReportEnv(t)
	r := e.call("supervisor", "GET", "/api/v1/reports/summary?"+september+"&format=xlsx", nil)
	if r.Status != 200 || r.Header.Get("Content-Type") != "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" {
		t.Fatalf("xlsx: %d %v", r.Status, r.Header)
	}
	f, err := excelize.OpenReader(bytes.NewReader(r.Body))
	if err != nil {
		t.Fatalf("the workbook does not open: %v", err)
	}
	defer f.Close()
	var want []string
	for _, g := range reports.Groupings {
		want = append(want, reports.GroupingTitles[g])
	}
	want = append(want, reports.TopicsSheet)
	if got := f.GetSheetList(); !slices.Equal(got, want) {
		t.Fatalf("sheets %v, want %v", got, want)
	}
	rows, err := f.GetRows("按类型")
	if err != nil {
		t.Fatal(err)
	}
	// complaint and consultation (by key), then the totals.
	if len(rows) != 4 || rows[0][2] != "工单量" || rows[1][1] != "投诉" || rows[2][1] != "咨询" || rows[3][1] != "合计" {
		t.Fatalf("按类型: %v", rows)
	}
	if rows[1][2] != "2" || rows[3][2] != "3" {
		t.Errorf("工单量 of 投诉 %q and 合计 %q, want 2 and 3", rows[1][2], rows[3][2])
	}
	// Rates are numbers shown as percentages, not text.
	rate, err := f.GetCellValue("按类型", "E4", excelize.Options{RawCellValue: true})
	if err != nil || !strings.HasPrefix(rate, "0.333") {
		t.Errorf("合计 直接办结率 raw %q (%v), want 0.333…", rate, err)
	}
	shown, _ := f.GetCellValue("按类型", "E4")
	if shown != "33.33%" {
		t.Errorf("合计 直接办结率 shown %q, want 33.33%%", shown)
	}
	days, err := f.GetRows("按日")
	if err != nil || len(days) != 1+30+1 { // header, every day of September, totals
		t.Errorf("按日 has %d rows (%v)", len(days), err)
	}
}

// behind returns the ids behind counter of key in group_by.
func (e reportEnv) behind(user, counter, groupBy, key string) (reports.Behind, response) {
	var b reports.Behind
	q := url.Values{"counter": {counter}, "group_by": {groupBy}, "key": {key}, "from": {"2026-09-01"}, "to": {"2026-09-30"}}
	r := e.call(user, "GET", "/api/v1/reports/behind?"+q.Encode(), nil)
	if r.Status == 200 {
		e.must(r, 200, &b)
	}
	return b, r
}

func TestReports_DrillDownListsTheRowsBehindANumber(t *testing.T) {
	e := newReportEnv(t)
	for _, tc := range []struct {
		user, counter, groupBy, key string
		want                        []int64
	}{
		{"supervisor", "tickets_created", "", "", []int64{e.closed.ID, e.replied.ID, e.open.ID}},
		{"supervisor", "dispatched", "department", "rsj", []int64{e.replied.ID}},
		{"supervisor", "closed_directly", "kind", "consultation", []int64{e.closed.ID}},
		{"supervisor", "replies", "department", "cgj", nil},
		{"dept-rsj", "replies", "department", "rsj", []int64{e.replied.ID}},
		{"agent2", "dispatched", "agent", "agent2", []int64{e.open.ID}},
	} {
		b, r := e.behind(tc.user, tc.counter, tc.groupBy, tc.key)
		if r.Status != 200 || b.Entity != "tickets" || b.Total != int64(len(tc.want)) || !slices.Equal(b.IDs, tc.want) && len(tc.want) > 0 {
			t.Errorf("%s: %s of %s=%q: %d %+v, want %v", tc.user, tc.counter, tc.groupBy, tc.key, r.Status, b, tc.want)
		}
	}
	// The number and the rows agree.
	var sum reports.Summary
	e.must(e.call("supervisor", "GET", "/api/v1/reports/summary?"+september+"&group_by=kind", nil), 200, &sum)
	for _, row := range sum.Rows {
		b, _ := e.behind("supervisor", "tickets_created", "kind", row.Key)
		if b.Total != row.TicketsCreated || int64(len(b.IDs)) != row.TicketsCreated {
			t.Errorf("%s: %d tickets created, %d behind", row.Key, row.TicketsCreated, b.Total)
		}
	}
}

func TestReports_Scorecards(t *testing.T) {
	e := newReportEnv(t)
	var card reports.Scorecard
	e.must(e.call("dept-rsj", "GET", "/api/v1/reports/departments/rsj?"+september, nil), 200, &card)
	if card.Key != "rsj" || card.Label != "市人社局" || card.Total.Replies != 1 || len(card.Days) != 30 || card.Days[29].Dispatched != 1 {
		t.Errorf("人社局's own scorecard: %+v", card)
	}
	e.must(e.call("supervisor", "GET", "/api/v1/reports/departments/cgj?"+september, nil), 200, &card)
	if card.Total.Dispatched != 1 {
		t.Errorf("城管局 for the supervisor: %+v", card.Total)
	}
	e.must(e.call("agent1", "GET", "/api/v1/reports/agents/agent1?"+september, nil), 200, &card)
	// agent1 created the three tickets and dispatched one of them.
	if card.Total.TicketsCreated != 3 || card.Total.ClosedDirectly != 1 || card.Total.Dispatched != 1 {
		t.Errorf("agent1's own figures: %+v", card.Total)
	}
}

func TestReports_BadInputAndForeignFigures(t *testing.T) {
	e := newReportEnv(t)
	long := strings.Repeat("k", 300)
	for _, tc := range []struct {
		user, path string
		status     int
	}{
		{"supervisor", "/api/v1/reports/summary?from=2026-09-30&to=2026-09-01", 400},
		{"supervisor", "/api/v1/reports/summary?from=2020-01-01&to=2026-09-30", 400},
		{"supervisor", "/api/v1/reports/summary?from=2026-02-30", 400},
		{"supervisor", "/api/v1/reports/summary?from=20260901", 400},
		{"supervisor", "/api/v1/reports/summary?from=1900-01-01&to=1900-01-02", 400},
		{"supervisor", "/api/v1/reports/summary?from=%27%3B+DROP+TABLE+tickets--", 400},
		{"supervisor", "/api/v1/reports/summary?group_by=planet", 400},
		{"supervisor", "/api/v1/reports/summary?group_by=department%00", 400},
		{"supervisor", "/api/v1/reports/summary?format=pdf", 400},
		{"supervisor", "/api/v1/reports/summary?colour=red", 400},
		{"dept-rsj", "/api/v1/reports/summary", 403},
		{"agent1", "/api/v1/reports/summary", 403},
		{"", "/api/v1/reports/summary", 401},
		{"dept-rsj", "/api/v1/reports/departments/cgj", 404},
		{"agent1", "/api/v1/reports/departments/rsj", 403},
		{"agent1", "/api/v1/reports/agents/agent2", 403},
		{"dept-rsj", "/api/v1/reports/agents/agent1", 403},
		{"supervisor", "/api/v1/reports/behind?counter=wait_sum", 400},
		{"supervisor", "/api/v1/reports/behind?counter=tickets_created&group_by=day", 400},
		{"supervisor", "/api/v1/reports/behind?counter=tickets_created&group_by=colour", 400},
		{"supervisor", "/api/v1/reports/behind?counter=tickets_created&key=" + long, 400},
		{"dept-rsj", "/api/v1/reports/behind?counter=dispatched&group_by=department&key=cgj", 404},
		{"dept-rsj", "/api/v1/reports/behind?counter=dispatched", 404},
		{"agent1", "/api/v1/reports/behind?counter=dispatched&group_by=agent&key=agent2", 403},
	} {
		r := e.call(tc.user, "GET", tc.path, nil)
		if r.Status != tc.status {
			t.Errorf("%s GET %s: %d %s, want %d", tc.user, tc.path, r.Status, r.Body, tc.status)
			continue
		}
		e.errorCode(r)
	}
	// Nothing accepted was lost.
	var sum reports.Summary
	e.must(e.call("supervisor", "GET", "/api/v1/reports/summary?"+september, nil), 200, &sum)
	if sum.Totals.TicketsCreated != 3 {
		t.Errorf("after the bad requests: %d tickets", sum.Totals.TicketsCreated)
	}
	e.must(e.call("supervisor", "GET", fmt.Sprintf("/api/v1/tickets/%d", e.open.ID), nil), 200, nil)
}
