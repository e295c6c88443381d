package main

import (
	"context"
	"encoding/csv"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/open12345/hotline/auth"
	"github.com/open12345/hotline/ticketing"
)

// reportRegion marks the tickets this test records: no demo ticket has
// it, so its row of the report by region holds exactly these figures.
const reportRegion = "报表测试区"

// TestBrowserReports: a supervisor's 报表 shows the period's figures by any
// grouping with the totals the tickets make, draws its charts, lists the
// tickets behind a count, and downloads the same report as CSV and Excel;
// a department user sees only its own 考核 and no 报表, an agent only its
// own 我的数据.
func TestBrowserReports(t *testing.T) {
	chromium := chromiumPath(t)
	m := startDemo(t)
	base := "http://" + m.HTTPAddr()
	ctx := context.Background()
	loc := m.Tickets.Location()
	now := time.Now().In(loc)
	if left := time.Date(now.Year(), now.Month(), now.Day()+1, 0, 0, 0, 0, loc).Sub(now); left < 3*time.Minute {
		time.Sleep(left + time.Second) // every figure below is of one day
		now = time.Now().In(loc)
	}
	today := now.Format(time.DateOnly)
	day0 := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, loc)
	month0 := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, loc)
	last0 := month0.AddDate(0, -1, 0)

	// Four tickets today: a complaint dispatched to rsj, answered and rated
	// 满意; a request for help rsj returns; a consultation closed at once;
	// a suggestion just recorded.
	actors := reportActors(t, m)
	record := func(kind ticketing.Kind, channel ticketing.Channel, title string, steps ...reportStep) *ticketing.Ticket {
		t.Helper()
		tk, err := m.Tickets.Create(ctx, actors["agent1"], ticketing.NewTicket{Kind: kind, Channel: channel,
			Title: title, Content: title + "，请协助处理", Category: "shbz-sbk", Region: reportRegion,
			Citizen: ticketing.Citizen{Name: "报表测试", Phone: "13900008888"}})
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range steps {
			if _, err := m.Tickets.Act(ctx, actors[s.who], tk.ID, s.a, s.req); err != nil {
				t.Fatalf("%s %s %s: %v", title, s.who, s.a, err)
			}
		}
		return tk
	}
	dispatch := reportStep{"agent1", ticketing.ActionDispatch, ticketing.Request{Department: "rsj"}}
	complaint := record(ticketing.KindComplaint, ticketing.ChannelPhone, "社保卡补办排队过久", dispatch,
		reportStep{"dept-rsj", ticketing.ActionSign, ticketing.Request{}},
		reportStep{"dept-rsj", ticketing.ActionReply, ticketing.Request{Reply: "已增设补卡窗口"}},
		reportStep{"agent1", ticketing.ActionCallback, ticketing.Request{Result: ticketing.ResultSatisfied}})
	help := record(ticketing.KindHelp, ticketing.ChannelWeb, "社保卡丢失无法挂失", dispatch,
		reportStep{"dept-rsj", ticketing.ActionReturn, ticketing.Request{Reason: "挂失由合作银行办理，不属本单位职责"}})
	record(ticketing.KindConsultation, ticketing.ChannelPhone, "社保卡如何激活",
		reportStep{"agent1", ticketing.ActionCloseDirectly, ticketing.Request{Reply: "携带身份证到任一合作银行网点激活"}})
	record(ticketing.KindSuggestion, ticketing.ChannelPhone, "建议社保卡支持手机申领")

	// What the figures must be, counted from the facts themselves (the
	// demo's sample tickets of today and this month included).
	end := now.Add(time.Minute)
	todayIDs := reportIDs(t, m, `SELECT id FROM tickets WHERE created_at >= $1 AND created_at < $2 ORDER BY id`, day0, end)
	monthCount := reportCount(t, m, `SELECT count(*) FROM tickets WHERE created_at >= $1 AND created_at < $2`, month0, end)
	lastMonthCount := reportCount(t, m, `SELECT count(*) FROM tickets WHERE created_at >= $1 AND created_at < $2`, last0, month0)
	byKind := reportCountsBy(t, m, "kind", day0, end)
	byChannel := reportCountsBy(t, m, "channel", day0, end)
	hotNow := reportCount(t, m, `SELECT count(*) FROM tickets WHERE category = 'shbz-sbk' AND created_at >= $1 AND created_at < $2`, day0, end)
	hotBefore := reportCount(t, m, `SELECT count(*) FROM tickets WHERE category = 'shbz-sbk' AND created_at >= $1 AND created_at < $2`, day0.AddDate(0, 0, -1), day0)
	rsjDispatched := reportIDs(t, m, `SELECT ticket_id FROM ticket_cycles WHERE department = 'rsj'
		AND dispatched_at >= $1 AND dispatched_at < $2 ORDER BY ticket_id`, day0, end)
	rsjRated := reportCount(t, m, `SELECT count(*) FROM ticket_cycles WHERE department = 'rsj' AND callback_at >= $1 AND callback_at < $2`, day0, end)
	rsjSatisfied := reportCount(t, m, `SELECT count(*) FROM ticket_cycles WHERE department = 'rsj' AND satisfied
		AND callback_at >= $1 AND callback_at < $2`, day0, end)
	agent1Created := reportCount(t, m, `SELECT count(*) FROM tickets t JOIN users u ON u.id = t.created_by
		WHERE u.username = 'agent1' AND t.created_at >= $1 AND t.created_at < $2`, day0, end)
	agent1Dispatched := reportCount(t, m, `SELECT count(*) FROM ticket_cycles WHERE agent = 'agent1'
		AND dispatched_at >= $1 AND dispatched_at < $2`, day0, end)

	dir := artifactsDir(t)
	shots := 0
	browser := newBrowser(t, chromium)
	sv := newTab(t, browser, "supervisor", dir, &shots)
	sv.login(base, "supervisor", browserPassword)

	// 本月 first: the month so far, by day, one trend point a day.
	monthFrom := month0.Format(time.DateOnly)
	sv.do("open 报表", chromedp.Click(chromedp.ID("nav-reports")),
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#report-table[data-loaded="%s/%s/day"]`, monthFrom, today))))
	if got := sv.text("month total", `#report-table tfoot td[data-col="tickets_created"]`); got != strconv.Itoa(monthCount) {
		t.Errorf("this month's 合计 工单量 shows %q, want %d", got, monthCount)
	}
	if n := eval[int](sv, "month rows", `document.querySelectorAll("#report-table tbody tr").length`); n != now.Day() {
		t.Errorf("this month by day has %d rows, want %d", n, now.Day())
	}
	if got := eval[[]int](sv, "trend points", `[...document.querySelectorAll("#report-trend svg g[data-series]")].map((g) =>
		g.querySelector("path.chart-line").getAttribute("d").split(/[ML]/).length - 1)`); !slices.Equal(got, []int{now.Day(), now.Day(), now.Day()}) {
		t.Errorf("the trend's three lines have %v points, want %d each", got, now.Day())
	}
	if sticky := eval[string](sv, "sticky header", `getComputedStyle(document.querySelector("#report-table thead th")).position`); sticky != "sticky" {
		t.Errorf("the table's header is %s, want sticky", sticky)
	}
	sv.shot("reports-this-month")

	// 上月: the whole previous month.
	lastFrom, lastTo := last0.Format(time.DateOnly), month0.AddDate(0, 0, -1).Format(time.DateOnly)
	sv.do("上月", chromedp.Click(chromedp.CSS(`#report-filters [data-preset="last-month"]`)),
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#report-table[data-loaded="%s/%s/day"]`, lastFrom, lastTo))))
	if got := sv.text("last month total", `#report-table tfoot td[data-col="tickets_created"]`); got != strconv.Itoa(lastMonthCount) {
		t.Errorf("last month's 合计 工单量 shows %q, want %d", got, lastMonthCount)
	}

	// A period that ends before it starts: the server's message, no figures.
	sv.do("a backwards period",
		chromedp.SetValue(chromedp.ID("report-from"), today),
		chromedp.SetValue(chromedp.ID("report-to"), day0.AddDate(0, 0, -1).Format(time.DateOnly)),
		chromedp.Click(chromedp.ID("report-submit")))
	sv.until("the error", `document.querySelector("#report-error").textContent.startsWith("报表加载失败：") &&
		document.querySelector("#report-results").hidden`)

	// Today by region: the test's row holds exactly its four tickets.
	sv.do("today by region",
		chromedp.SetValue(chromedp.ID("report-from"), today), chromedp.SetValue(chromedp.ID("report-to"), today),
		chromedp.SetValue(chromedp.ID("report-group"), "region"), chromedp.Click(chromedp.ID("report-submit")),
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#report-table[data-loaded="%s/%s/region"]`, today, today))))
	row := fmt.Sprintf(`#report-table tbody tr[data-key=%q]`, reportRegion)
	cells := eval[map[string]string](sv, "region row", `Object.fromEntries([...document.querySelectorAll('`+row+` td')].map((td) => [td.dataset.col, td.textContent]))`)
	for col, want := range map[string]string{"tickets_created": "4", "direct_resolution_rate": "25%", "dispatched": "2",
		"return_rate": "50%", "satisfaction_rate": "100%", "calls_offered": "0", "answer_rate": "—",
		"service_level": "—", "avg_wait_seconds": "—", "chats_offered": "0"} {
		if cells[col] != want {
			t.Errorf("the %s row's %s shows %q, want %q", reportRegion, col, cells[col], want)
		}
	}
	if got := sv.text("today total", `#report-table tfoot td[data-col="tickets_created"]`); got != strconv.Itoa(len(todayIDs)) {
		t.Errorf("today's 合计 工单量 shows %q, want %d", got, len(todayIDs))
	}

	// The charts of today, each an SVG with a title and its figures.
	for _, id := range []string{"report-trend", "report-kinds", "report-channels", "report-dept-completion", "report-dept-satisfaction", "report-hot"} {
		ok := eval[bool](sv, id, fmt.Sprintf(`(() => { const s = document.querySelector("#%s svg");
			return !!s && s.getAttribute("role") === "img" && !!s.querySelector("title")?.textContent &&
				s.getAttribute("aria-label").startsWith(s.querySelector("title").textContent + "：") })()`, id))
		if !ok {
			t.Errorf("#%s has no SVG with a title and an aria-label", id)
		}
	}
	bars := func(id string) map[string]string {
		return eval[map[string]string](sv, id+" bars", fmt.Sprintf(`Object.fromEntries([...document.querySelectorAll("#%s svg g[data-key]")].map((g) =>
			[g.dataset.key, g.querySelector("rect.bar") ? g.querySelector(".chart-value").textContent : ""]))`, id))
	}
	if got, want := bars("report-kinds"), byKind; !maps.Equal(got, want) {
		t.Errorf("the kinds chart shows %v, want %v", got, want)
	}
	if got, want := bars("report-channels"), byChannel; !maps.Equal(got, want) {
		t.Errorf("the channels chart shows %v, want %v", got, want)
	}
	if got := sv.text("kind label", `#report-kinds svg g[data-key="complaint"] text:last-child`); got != "投诉" {
		t.Errorf("the complaint bar is labelled %q, want 投诉", got)
	}
	for _, id := range []string{"report-dept-completion", "report-dept-satisfaction"} {
		if _, ok := bars(id)["rsj"]; !ok {
			t.Errorf("#%s has no bar for rsj, which was measured today", id)
		}
	}
	if got, want := bars("report-dept-satisfaction")["rsj"], reportPercent(float64(rsjSatisfied)/float64(rsjRated)); got != want {
		t.Errorf("rsj's 满意率 bar reads %q, want %q", got, want)
	}
	change := hotNow - hotBefore
	note := map[bool]string{true: fmt.Sprintf("↑%d", change), false: fmt.Sprintf("↓%d", -change)}[change > 0]
	if change == 0 {
		note = "持平"
	}
	if got, want := sv.text("hot category", `#report-hot svg g[data-key="shbz-sbk"] .chart-value`), fmt.Sprintf("%d%s", hotNow, note); got != want {
		t.Errorf("the hot category 社会保障卡 reads %q, want %q", got, want)
	}
	sv.shot("reports-today-by-region")

	// A count opens the tickets behind it; a ticket opens its detail here.
	sv.do("drill into 派单量", chromedp.Click(chromedp.CSS(row+` td[data-col="dispatched"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`#report-behind[data-counter="dispatched"][data-loaded="tickets"]`)))
	if got := behindIDs(sv, "report-behind"); !slices.Equal(got, []int64{complaint.ID, help.ID}) {
		t.Errorf("the tickets behind the region's 派单量 are %v, want %v", got, []int64{complaint.ID, help.ID})
	}
	if got := sv.text("drill-down total", `#report-behind .behind-total`); got != "共 2 条工单" {
		t.Errorf("the drill-down says %q, want 共 2 条工单", got)
	}
	sv.shot("reports-drill-down")
	sv.do("open a ticket from the drill-down",
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`#report-behind [data-ticket="%d"]`, help.ID))),
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#detail[data-id="%d"]`, help.ID))))
	if got := sv.text("detail title", "#detail-title"); got != "工单 "+help.Number {
		t.Errorf("the drill-down opened %q, want 工单 %s", got, help.Number)
	}
	if v := eval[bool](sv, "still in 报表", `!document.querySelector("#view-reports").hidden`); !v {
		t.Errorf("opening a ticket from the drill-down left the 报表 view")
	}
	sv.do("drill into the totals", chromedp.Click(chromedp.CSS(`#report-table tfoot td[data-col="tickets_created"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`#report-behind[data-counter="tickets_created"][data-loaded="tickets"]`)))
	if got := behindIDs(sv, "report-behind"); !slices.Equal(got, todayIDs) {
		t.Errorf("the tickets behind today's 合计 工单量 are %v, want %v", got, todayIDs)
	}

	// The downloads: the same period and grouping, CSV with a BOM.
	var csvFile reportDownload
	fetchLink(sv, "download the CSV", "#report-csv", &csvFile)
	if want := fmt.Sprintf("from=%s&to=%s&group_by=region&format=csv", today, today); !strings.HasSuffix(csvFile.Href, want) {
		t.Errorf("the CSV link is %q, want it to end %q", csvFile.Href, want)
	}
	if csvFile.Status != 200 || !slices.Equal(csvFile.Head[:3], []int{0xEF, 0xBB, 0xBF}) || !strings.HasPrefix(csvFile.Type, "text/csv") {
		t.Fatalf("the CSV download: status %d, type %q, first bytes % x; want 200, text/csv and a UTF-8 BOM", csvFile.Status, csvFile.Type, csvFile.Head)
	}
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(csvFile.Text, "\uFEFF"))).ReadAll()
	if err != nil || len(recs) < 3 {
		t.Fatalf("the CSV does not parse into a header, rows and totals: %v %q", err, csvFile.Text)
	}
	col := slices.Index(recs[0], "工单量")
	if col < 0 || recs[0][0] != "按区域" {
		t.Fatalf("the CSV header %v lacks 按区域 or 工单量", recs[0])
	}
	regionRec := slices.IndexFunc(recs, func(r []string) bool { return r[0] == reportRegion })
	if regionRec < 0 || recs[regionRec][col] != "4" {
		t.Errorf("the CSV has no %s row with 工单量 4: %v", reportRegion, recs)
	}
	if last := recs[len(recs)-1]; last[1] != "合计" || last[col] != strconv.Itoa(len(todayIDs)) {
		t.Errorf("the CSV's last row %v, want 合计 with 工单量 %d", last, len(todayIDs))
	}
	var xlsx reportDownload
	fetchLink(sv, "download the workbook", "#report-xlsx", &xlsx)
	if xlsx.Status != 200 || !strings.Contains(xlsx.Type, "spreadsheetml") || !slices.Equal(xlsx.Head, []int{'P', 'K', 3, 4}) {
		t.Errorf("the Excel download: status %d, type %q, first bytes %v; want a workbook", xlsx.Status, xlsx.Type, xlsx.Head)
	}

	// By day, a day's count lists that day's tickets.
	sv.do("today by day", chromedp.Evaluate[chromedp.Void](`(() => { const s = document.querySelector("#report-group");
		s.value = "day"; s.dispatchEvent(new Event("change")); })()`),
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#report-table[data-loaded="%s/%s/day"]`, today, today))),
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`#report-table tbody tr[data-key=%q] td[data-col="tickets_created"] button`, today))),
		chromedp.WaitVisible(chromedp.CSS(`#report-behind[data-counter="tickets_created"][data-loaded="tickets"]`)))
	if got := behindIDs(sv, "report-behind"); !slices.Equal(got, todayIDs) {
		t.Errorf("the tickets behind today's row are %v, want %v", got, todayIDs)
	}
	// By week, the week's count lists its tickets of the period only.
	year, week := now.ISOWeek()
	monday := day0.AddDate(0, 0, -((int(now.Weekday()) + 6) % 7))
	weekIDs := reportIDs(t, m, `SELECT id FROM tickets WHERE created_at >= $1 AND created_at < $2 ORDER BY id`, reportLater(monday, month0), end)
	sv.do("this month by week",
		chromedp.SetValue(chromedp.ID("report-group"), "week"),
		chromedp.Click(chromedp.CSS(`#report-filters [data-preset="this-month"]`)),
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#report-table[data-loaded="%s/%s/week"]`, monthFrom, today))),
		chromedp.Click(chromedp.CSS(fmt.Sprintf(`#report-table tbody tr[data-key="%04d-W%02d"] td[data-col="tickets_created"] button`, year, week))),
		chromedp.WaitVisible(chromedp.CSS(`#report-behind[data-counter="tickets_created"][data-loaded="tickets"]`)))
	if got := behindIDs(sv, "report-behind"); !slices.Equal(got, weekIDs) {
		t.Errorf("the tickets behind this week's row are %v, want %v", got, weekIDs)
	}
	sv.checkClean()

	// The department: its own 考核, no 报表, no other department's figures.
	d := newTab(t, browser, "department", dir, &shots)
	d.login(base, "dept-rsj", browserPassword)
	if navs := eval[[]string](d, "department nav", `[...document.querySelectorAll("#nav button")].map((b) => b.dataset.view)`); slices.Contains(navs, "reports") || !slices.Contains(navs, "scorecard") {
		t.Errorf("the department's nav is %v: want 考核 (scorecard) and no 报表", navs)
	}
	d.do("open 考核", chromedp.Click(chromedp.ID("nav-scorecard")),
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#scorecard[data-loaded="%s/%s/rsj"]`, monthFrom, today))),
		chromedp.SetValue(chromedp.ID("scorecard-from"), today), chromedp.SetValue(chromedp.ID("scorecard-to"), today),
		chromedp.Click(chromedp.ID("scorecard-submit")),
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#scorecard[data-loaded="%s/%s/rsj"]`, today, today))))
	if got := d.text("scorecard name", "#scorecard-name"); got != fmt.Sprintf("市人力资源和社会保障局 · %s 至 %s", today, today) {
		t.Errorf("the scorecard is of %q, want 市人力资源和社会保障局 today", got)
	}
	if got := d.text("派单量 tile", `#scorecard-figures [data-figure="dispatched"] .figure-value`); got != strconv.Itoa(len(rsjDispatched)) {
		t.Errorf("the 派单量 tile shows %q, want %d", got, len(rsjDispatched))
	}
	if got, want := d.text("满意率 tile", `#scorecard-figures [data-figure="satisfaction_rate"] .figure-value`), reportPercent(float64(rsjSatisfied)/float64(rsjRated)); got != want {
		t.Errorf("the 满意率 tile shows %q, want %q", got, want)
	}
	if got := eval[[]string](d, "scorecard days", `[...document.querySelectorAll("#scorecard-days tbody tr")].map((tr) =>
		tr.dataset.key + ":" + tr.querySelector('[data-col="dispatched"]').textContent)`); !slices.Equal(got, []string{fmt.Sprintf("%s:%d", today, len(rsjDispatched))}) {
		t.Errorf("the scorecard's days are %v, want today with %d dispatched", got, len(rsjDispatched))
	}
	if n := eval[int](d, "scorecard trend", `document.querySelectorAll("#scorecard-trend svg path.chart-line").length`); n != 3 {
		t.Errorf("the scorecard's trend has %d lines, want 3", n)
	}
	d.do("drill into the department's 派单量", chromedp.Click(chromedp.CSS(`#scorecard-figures [data-figure="dispatched"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`#scorecard-behind[data-counter="dispatched"][data-loaded="tickets"]`)))
	if got := behindIDs(d, "scorecard-behind"); !slices.Equal(got, rsjDispatched) {
		t.Errorf("the tickets behind rsj's 派单量 are %v, want %v", got, rsjDispatched)
	}
	d.do("back to the top", chromedp.Evaluate[chromedp.Void](`window.scrollTo(0, 0)`))
	d.shot("scorecard-today")
	statuses := eval[[]int](d, "forbidden figures", fmt.Sprintf(`Promise.all([
		"/api/v1/reports/departments/zjj?from=%[1]s&to=%[1]s",
		"/api/v1/reports/behind?counter=dispatched&group_by=department&key=zjj&from=%[1]s&to=%[1]s",
		"/api/v1/reports/summary?from=%[1]s&to=%[1]s"].map((u) => fetch(u).then((r) => r.status)))`, today), chromedp.EvalAwaitPromise)
	if !slices.Equal(statuses, []int{404, 404, 403}) {
		t.Errorf("another department's scorecard, its tickets and the summary answer %v to a department, want 404, 404, 403", statuses)
	}
	d.checkClean()

	// An agent: its own 我的数据, nobody else's.
	a := newTab(t, browser, "agent", dir, &shots)
	a.login(base, "agent1", browserPassword)
	if navs := eval[[]string](a, "agent nav", `[...document.querySelectorAll("#nav button")].map((b) => b.textContent)`); slices.Contains(navs, "报表") || !slices.Contains(navs, "我的数据") {
		t.Errorf("the agent's nav is %v: want 我的数据 and no 报表", navs)
	}
	a.do("open 我的数据", chromedp.Click(chromedp.ID("nav-scorecard")),
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#scorecard[data-loaded="%s/%s/agent1"]`, monthFrom, today))),
		chromedp.SetValue(chromedp.ID("scorecard-from"), today), chromedp.SetValue(chromedp.ID("scorecard-to"), today),
		chromedp.Click(chromedp.ID("scorecard-submit")),
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#scorecard[data-loaded="%s/%s/agent1"]`, today, today))))
	for figure, want := range map[string]int{"tickets_created": agent1Created, "dispatched": agent1Dispatched} {
		if got := a.text(figure+" tile", fmt.Sprintf(`#scorecard-figures [data-figure=%q] .figure-value`, figure)); got != strconv.Itoa(want) {
			t.Errorf("agent1's %s tile shows %q, want %d", figure, got, want)
		}
	}
	if got := a.text("agent title", "#scorecard-title"); got != "我的数据" {
		t.Errorf("the agent's scorecard is titled %q, want 我的数据", got)
	}
	a.do("back to the top", chromedp.Evaluate[chromedp.Void](`window.scrollTo(0, 0)`))
	a.shot("my-figures-today")
	if status := eval[int](a, "another agent's figures", `fetch("/api/v1/reports/agents/agent2").then((r) => r.status)`, chromedp.EvalAwaitPromise); status != 403 {
		t.Errorf("agent2's figures answer %d to agent1, want 403", status)
	}
	a.checkClean()
}

type reportStep struct {
	who string
	a   ticketing.Action
	req ticketing.Request
}

func reportActors(t *testing.T, m *Main) map[string]auth.Actor {
	t.Helper()
	users, err := m.Auth.Users(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]auth.Actor{}
	for _, u := range users {
		out[u.Username] = u.Actor()
	}
	return out
}

func reportIDs(t *testing.T, m *Main, sql string, args ...any) []int64 {
	t.Helper()
	rows, err := m.DB.Pool.Query(context.Background(), sql, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := []int64{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		out = append(out, id)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func reportCount(t *testing.T, m *Main, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := m.DB.Pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// reportCountsBy counts the tickets created in [from, to) by column.
func reportCountsBy(t *testing.T, m *Main, column string, from, to time.Time) map[string]string {
	t.Helper()
	rows, err := m.DB.Pool.Query(context.Background(), `SELECT `+column+`, count(*) FROM tickets
		WHERE created_at >= $1 AND created_at < $2 GROUP BY 1`, from, to)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var k string
		var n int
		if err := rows.Scan(&k, &n); err != nil {
			t.Fatal(err)
		}
		out[k] = strconv.Itoa(n)
	}
	return out
}

func reportLater(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// reportPercent is a rate as the console shows it: one decimal at most.
func reportPercent(r float64) string {
	return strconv.FormatFloat(math.Round(r*1000)/10, 'f', -1, 64) + "%"
}

// behindIDs are the ids a drill-down panel lists.
func behindIDs(b *tab, panel string) []int64 {
	return eval[[]int64](b, panel+" ids", `[...document.querySelectorAll("#`+panel+` [data-ticket]")].map((e) => Number(e.dataset.ticket))`)
}

// reportDownload is a file a link of the page fetched with the page's cookies.
type reportDownload struct {
	Href   string `json:"href"`
	Status int    `json:"status"`
	Type   string `json:"type"`
	Head   []int  `json:"head"`
	Text   string `json:"text"`
}

func fetchLink(b *tab, step, link string, out *reportDownload) {
	b.t.Helper()
	*out = eval[reportDownload](b, step, `(async () => {
		const a = document.querySelector("`+link+`");
		const r = await fetch(a.href);
		const bytes = new Uint8Array(await r.arrayBuffer());
		return { href: a.getAttribute("href"), status: r.status, type: r.headers.get("content-type") || "",
			head: [...bytes.slice(0, 4)], text: new TextDecoder().decode(bytes) };
	})()`, chromedp.EvalAwaitPromise)
}
