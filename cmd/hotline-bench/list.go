package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/open12345/hotline/ticketing"
)

// loadTickets bulk-inserts n tickets spread over 90 days, with a realistic
// mix of statuses, kinds and departments, then analyses the table.
func (b *bench) loadTickets(ctx context.Context, n int) error {
	start := time.Now()
	const batch = 100_000
	for done := 0; done < n; done += batch {
		size := min(batch, n-done)
		_, err := b.db.Pool.Exec(ctx, `
			INSERT INTO tickets (id, number, kind, channel, status, urgency, title, content, citizen_name, citizen_phone,
				department, co_departments, dispatch_count, created_at, updated_at, version)
			SELECT id, to_char(created_at AT TIME ZONE 'Asia/Shanghai', 'YYYYMMDD') || lpad(id::text, greatest(6, length(id::text)), '0'),
				kind, 'phone', status, 'normal', title || ' #' || id, '市民来电反映：' || title || '，请相关部门核查处理。',
				'市民', '13' || lpad((id % 1000000000)::text, 9, '0'),
				CASE WHEN status IN ('accepted') OR (status = 'closed' AND r < 0.5) THEN NULL
				     ELSE 'd' || lpad((floor(random() * 60))::int::text, 2, '0') END,
				'{}', 1, created_at, created_at, 1
			FROM (
				SELECT nextval('tickets_id_seq') AS id, r,
					now() - interval '90 days' * (1 - ($1::bigint + g)::float8 / $3) AS created_at,
					(ARRAY['consultation','consultation','consultation','help','complaint','complaint','report','suggestion','praise'])[1 + floor(random() * 9)::int] AS kind,
					CASE WHEN r < 0.60 THEN 'closed' WHEN r < 0.68 THEN 'replied' WHEN r < 0.80 THEN 'in_progress'
					     WHEN r < 0.88 THEN 'dispatched' WHEN r < 0.93 THEN 'accepted' WHEN r < 0.95 THEN 'returned'
					     WHEN r < 0.98 THEN 'merged' ELSE 'rejected' END AS status,
					(ARRAY['小区夜间施工噪音扰民','咨询灵活就业人员社保缴费','家中停水两天无人处理','举报无证经营餐饮店',
					       '建议增设公交线路','咨询公积金提取条件','投诉物业乱收费','道路井盖缺失'])[1 + floor(random() * 8)::int] AS title
				FROM (SELECT g, random() AS r FROM generate_series(1, $2::bigint) g) s
			) t`, done, size, n)
		if err != nil {
			return fmt.Errorf("load tickets: %w", err)
		}
		b.log.Info("loaded tickets", "done", done+size, "of", n)
	}
	if _, err := b.db.Pool.Exec(ctx, "VACUUM ANALYZE tickets"); err != nil {
		return fmt.Errorf("analyze: %w", err)
	}
	b.log.Info("tickets ready", "n", n, "took", time.Since(start).Round(time.Second))
	return nil
}

// listCase is one kind of list request of the mix.
type listCase struct {
	name   string
	user   string
	query  string
	filter ticketing.TicketFilter
}

func listCases(number, phone string) []listCase {
	dept := "d07"
	st := func(s ...ticketing.Status) []ticketing.Status { return s }
	return []listCase{
		{"newest", "agent1", "", ticketing.TicketFilter{}},
		{"status=dispatched", "agent1", "status=dispatched", ticketing.TicketFilter{Statuses: st("dispatched")}},
		{"status=accepted&kind=complaint", "agent1", "status=accepted&kind=complaint",
			ticketing.TicketFilter{Statuses: st("accepted"), Kinds: []ticketing.Kind{"complaint"}}},
		{"department=d07&status=in_progress", "agent1", "department=d07&status=in_progress",
			ticketing.TicketFilter{Department: dept, Statuses: st("in_progress")}},
		{"status=returned,rejected&kind=praise", "agent1", "status=returned,rejected&kind=praise",
			ticketing.TicketFilter{Statuses: st("returned", "rejected"), Kinds: []ticketing.Kind{"praise"}}},
		{"department user's queue", "dept-d07", "status=dispatched,in_progress",
			ticketing.TicketFilter{Involving: dept, Statuses: st("dispatched", "in_progress")}},
		{"q=<ticket number>", "agent1", "q=" + number, ticketing.TicketFilter{Number: number}},
		{"q=<phone>", "agent1", "q=" + phone, ticketing.TicketFilter{Phone: phone}},
		{"q=<text>", "agent1", "q=%E4%BA%95%E7%9B%96", ticketing.TicketFilter{Text: "井盖"}},
	}
}

type plan struct {
	name, text string
}

// listTickets measures the mix of list requests with the listing clients,
// and collects the plan of each query.
func (b *bench) listTickets(ctx context.Context) ([]row, []plan, error) {
	var number, phone string
	if err := b.db.Pool.QueryRow(ctx, `SELECT number, citizen_phone FROM tickets WHERE id = (SELECT max(id) / 2 FROM tickets)`).Scan(&number, &phone); err != nil {
		return nil, nil, err
	}
	cases := listCases(number, phone)
	client := newClient(b.o.listClients)
	var mu sync.Mutex
	per := make([][]time.Duration, len(cases))
	var firstErr error
	all, failed, d := load(ctx, b.o.listClients, b.o.duration, func(w, i int) error {
		c := (w + i) % len(cases)
		start := time.Now()
		err := b.list(ctx, client, cases[c])
		mu.Lock()
		defer mu.Unlock()
		if err != nil && firstErr == nil {
			firstErr = err
		}
		if err == nil {
			per[c] = append(per[c], time.Since(start))
		}
		return err
	})
	if failed > 0 {
		return nil, nil, fmt.Errorf("%d list requests failed, first: %v", failed, firstErr)
	}
	p50, p99 := percentiles(all)
	rows := []row{{name: fmt.Sprintf("GET /api/v1/tickets mix (%d clients)", b.o.listClients), count: len(all),
		rate: float64(len(all)) / d.Seconds(), p50: p50, p99: p99, note: "target p99 < 50ms"}}
	var plans []plan
	for i, c := range cases {
		p50, p99 := percentiles(per[i])
		rows = append(rows, row{name: "  " + c.name, count: len(per[i]), p50: p50, p99: p99})
		f := c.filter
		f.Limit = 51
		text, err := b.store.ExplainTickets(ctx, f)
		if err != nil {
			return nil, nil, err
		}
		plans = append(plans, plan{name: c.name, text: text})
	}
	return rows, plans, nil
}

// list requests the first page, and for the unfiltered case the second.
func (b *bench) list(ctx context.Context, client *http.Client, c listCase) error {
	url := b.base + "/api/v1/tickets?limit=50&" + c.query
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+b.tokens[c.user])
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		body, readErr := io.ReadAll(io.LimitReader(resp.Body, 300))
		return errors.Join(fmt.Errorf("%s: status %d: %s", c.name, resp.StatusCode, body), readErr)
	}
	var page struct {
		Items []json.RawMessage
	}
	return json.NewDecoder(resp.Body).Decode(&page)
}

func printTable(w io.Writer, o options, rows []row) {
	fmt.Fprintf(w, "\nhotline benchmark — %s per run, %s\n\n", o.duration, time.Now().Format(time.DateTime))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight|tabwriter.Debug)
	fmt.Fprintln(tw, "benchmark\tcount\tper second\tp50\tp99\tratio\tnote\t")
	for _, r := range rows {
		rate, ratio, p50, p99 := "", "", "", ""
		if r.p99 > 0 { // a row of one figure (memory) has no latency
			p50, p99 = ms(r.p50), ms(r.p99)
		}
		switch {
		case r.rate >= 10:
			rate = fmt.Sprintf("%.0f", r.rate)
		case r.rate > 0: // a few calls a second
			rate = fmt.Sprintf("%.1f", r.rate)
		}
		if r.ratio > 0 {
			ratio = fmt.Sprintf("%.2f", r.ratio)
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t%s\t\n", r.name, r.count, rate, p50, p99, ratio, r.note)
	}
	tw.Flush()
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d.Microseconds())/1000) }

func printPlans(w io.Writer, plans []plan) {
	if len(plans) == 0 {
		return
	}
	fmt.Fprintln(w, "\nquery plans of the listing mix (EXPLAIN ANALYZE, limit 51):")
	for _, p := range plans {
		fmt.Fprintf(w, "\n-- %s\n%s\n", p.name, strings.TrimSpace(p.text))
	}
}
