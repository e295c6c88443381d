package reports

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"

	"github.com/xuri/excelize/v2"
)

// Column is one column of an exported report: a Row field (its JSON
// name), the header a monthly report prints, and how its values read.
type Column struct {
	Field  string
	Header string
	Kind   ColumnKind
}

// ColumnKind is how a column's values are written.
type ColumnKind int

// Column kinds.
const (
	Text    ColumnKind = iota
	Count              // a whole number
	Rate               // a fraction 0–1, shown as a percentage
	Average            // a mean, two decimals
)

// Columns are the exported columns, in the order of the API's fields.
var Columns = []Column{
	{"key", "分组", Text}, {"label", "名称", Text},
	{"tickets_created", "工单量", Count}, {"closed_directly", "直接办结", Count},
	{"direct_resolution_rate", "直接办结率", Rate}, {"dispatched", "派单量", Count},
	{"signed_on_time_rate", "按时签收率", Rate}, {"completed_on_time_rate", "按时办结率", Rate},
	{"returns", "退单量", Count}, {"return_rate", "退单率", Rate},
	{"reopens", "重办量", Count}, {"reopen_rate", "重办率", Rate},
	{"extensions", "延期量", Count}, {"extension_rate", "延期率", Rate},
	{"replies", "答复量", Count}, {"avg_reply_working_days", "平均答复工作日", Average},
	{"overdue", "超期未办结", Count}, {"callbacks_rated", "回访评价量", Count},
	{"satisfaction_rate", "满意率", Rate},
	{"calls_offered", "呼入量", Count}, {"calls_answered", "接通量", Count},
	{"answer_rate", "接通率", Rate}, {"answer_15s_rate", "15秒接通率", Rate},
	{"service_level", "服务水平", Rate}, {"calls_abandoned", "放弃量", Count},
	{"short_abandons", "5秒内放弃", Count}, {"avg_wait_seconds", "平均等待(秒)", Average},
	{"max_wait_seconds", "最长等待(秒)", Count}, {"avg_talk_seconds", "平均通话(秒)", Average},
	{"ivr_calls", "自助语音量", Count}, {"callbacks_due", "待回拨未接来电", Count},
	{"callbacks_reached", "已回拨接通", Count}, {"callback_reached_rate", "回拨接通率", Rate},
	{"avg_callback_seconds", "平均回拨用时(秒)", Average},
	{"outbound_calls", "外呼量", Count}, {"outbound_reached", "外呼接通", Count},
	{"chats_offered", "在线咨询量", Count}, {"chats_bot_only", "智能客服独立解答", Count},
	{"chats_handed_off", "转人工", Count}, {"chats_answered", "人工接待", Count},
	{"avg_first_response_seconds", "平均首次响应(秒)", Average},
	{"avg_chat_seconds", "平均会话时长(秒)", Average},
	{"chat_satisfaction_rate", "在线满意率", Rate}, {"chats_left_message", "留言量", Count},
}

// GroupingTitles name each grouping's sheet and first column.
var GroupingTitles = map[GroupBy]string{
	ByDay: "按日", ByWeek: "按周", ByMonth: "按月", ByChannel: "按渠道", ByKind: "按类型",
	ByDepartment: "按部门", ByAgent: "按坐席", ByQueue: "按队列", ByCategory: "按分类", ByRegion: "按区域",
}

// cells are a row's values by column: nil where nothing was measured.
func cells(r Row) ([]any, error) {
	b, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("encode a report row: %w", err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("decode a report row: %w", err)
	}
	out := make([]any, len(Columns))
	for i, c := range Columns {
		out[i] = m[c.Field]
	}
	return out, nil
}

// table is a summary's rows and then its totals.
func table(s Summary) []Row { return append(append([]Row{}, s.Rows...), s.Totals) }

// WriteCSV writes s as CSV for Excel: UTF-8 with a byte-order mark, the
// Chinese headers, rates as percentages, empty cells where nothing was
// measured, the totals last.
func WriteCSV(w io.Writer, s Summary) error {
	if _, err := io.WriteString(w, "\uFEFF"); err != nil {
		return fmt.Errorf("write the report: %w", err)
	}
	cw := csv.NewWriter(w)
	header := make([]string, len(Columns))
	for i, c := range Columns {
		header[i] = c.Header
	}
	header[0] = GroupingTitles[s.GroupBy]
	if err := cw.Write(header); err != nil {
		return fmt.Errorf("write the report: %w", err)
	}
	for _, r := range table(s) {
		vs, err := cells(r)
		if err != nil {
			return err
		}
		rec := make([]string, len(vs))
		for i, v := range vs {
			rec[i] = csvCell(Columns[i].Kind, v)
		}
		if err := cw.Write(rec); err != nil {
			return fmt.Errorf("write the report: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write the report: %w", err)
	}
	return nil
}

func csvCell(k ColumnKind, v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return formulaSafe(v)
	case float64:
		switch k {
		case Rate:
			return strconv.FormatFloat(v*100, 'f', 2, 64) + "%"
		case Average:
			return strconv.FormatFloat(v, 'f', 2, 64)
		default:
			return strconv.FormatFloat(v, 'f', -1, 64)
		}
	}
	return fmt.Sprint(v)
}

// formulaSafe keeps a label from being read as a formula by a
// spreadsheet (CSV injection): names come from the people who set up
// departments and queues.
func formulaSafe(s string) string {
	if s != "" && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t' || s[0] == '\r') {
		return "'" + s
	}
	return s
}

// Workbook is the monthly report as a spreadsheet: a sheet per
// grouping (in Groupings order, every one over the same period) and one
// of the hot categories.
func Workbook(w io.Writer, sums []Summary) error {
	f := excelize.NewFile()
	defer f.Close()
	styles, err := newStyles(f)
	if err != nil {
		return err
	}
	for i, s := range sums {
		name := GroupingTitles[s.GroupBy]
		if i == 0 {
			err = f.SetSheetName("Sheet1", name)
		} else {
			_, err = f.NewSheet(name)
		}
		if err != nil {
			return fmt.Errorf("add sheet %s: %w", name, err)
		}
		if err := writeSheet(f, name, s, styles); err != nil {
			return err
		}
	}
	if len(sums) > 0 {
		if err := writeTopics(f, sums[0].TopCategories, styles); err != nil {
			return err
		}
	}
	if err := f.Write(w); err != nil {
		return fmt.Errorf("write the workbook: %w", err)
	}
	return nil
}

type sheetStyles struct{ header, rate, average int }

func newStyles(f *excelize.File) (sheetStyles, error) {
	var s sheetStyles
	var err error
	bold := &excelize.Font{Bold: true}
	if s.header, err = f.NewStyle(&excelize.Style{Font: bold, Fill: excelize.Fill{Type: "pattern", Color: []string{"DDE7F3"}, Pattern: 1},
		Alignment: &excelize.Alignment{WrapText: true, Vertical: "center"}}); err != nil {
		return s, fmt.Errorf("style the workbook: %w", err)
	}
	if s.rate, err = f.NewStyle(&excelize.Style{NumFmt: 10}); err != nil { // 0.00%
		return s, fmt.Errorf("style the workbook: %w", err)
	}
	if s.average, err = f.NewStyle(&excelize.Style{NumFmt: 2}); err != nil { // 0.00
		return s, fmt.Errorf("style the workbook: %w", err)
	}
	return s, nil
}

func writeSheet(f *excelize.File, sheet string, s Summary, st sheetStyles) error {
	header := make([]any, len(Columns))
	for i, c := range Columns {
		header[i] = c.Header
	}
	header[0] = GroupingTitles[s.GroupBy]
	if err := f.SetSheetRow(sheet, "A1", &header); err != nil {
		return fmt.Errorf("write sheet %s: %w", sheet, err)
	}
	rows := table(s)
	for i, r := range rows {
		vs, err := cells(r)
		if err != nil {
			return err
		}
		for j, v := range vs {
			if s, ok := v.(string); ok {
				vs[j] = formulaSafe(s)
			}
		}
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := f.SetSheetRow(sheet, cell, &vs); err != nil {
			return fmt.Errorf("write sheet %s: %w", sheet, err)
		}
	}
	last := len(rows) + 1
	lastCol, _ := excelize.ColumnNumberToName(len(Columns))
	for i, c := range Columns {
		col, _ := excelize.ColumnNumberToName(i + 1)
		style := map[ColumnKind]int{Rate: st.rate, Average: st.average}[c.Kind]
		if style != 0 {
			if err := f.SetCellStyle(sheet, col+"2", col+strconv.Itoa(last), style); err != nil {
				return fmt.Errorf("style sheet %s: %w", sheet, err)
			}
		}
	}
	steps := []error{
		f.SetCellStyle(sheet, "A1", lastCol+"1", st.header),
		f.SetRowHeight(sheet, 1, 32),
		f.SetColWidth(sheet, "A", "B", 16),
		f.SetColWidth(sheet, "C", lastCol, 11),
		f.SetPanes(sheet, &excelize.Panes{Freeze: true, XSplit: 2, YSplit: 1, TopLeftCell: "C2", ActivePane: "bottomRight"}),
	}
	for _, err := range steps {
		if err != nil {
			return fmt.Errorf("lay out sheet %s: %w", sheet, err)
		}
	}
	return nil
}

// TopicsSheet is the workbook's sheet of hot categories.
const TopicsSheet = "热点诉求"

func writeTopics(f *excelize.File, topics []HotTopic, st sheetStyles) error {
	if _, err := f.NewSheet(TopicsSheet); err != nil {
		return fmt.Errorf("add sheet %s: %w", TopicsSheet, err)
	}
	header := []any{"排名", "分类", "工单量", "上期", "增减"}
	if err := f.SetSheetRow(TopicsSheet, "A1", &header); err != nil {
		return fmt.Errorf("write sheet %s: %w", TopicsSheet, err)
	}
	for i, t := range topics {
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		row := []any{i + 1, formulaSafe(t.Label), t.Tickets, t.Previous, t.Change}
		if err := f.SetSheetRow(TopicsSheet, cell, &row); err != nil {
			return fmt.Errorf("write sheet %s: %w", TopicsSheet, err)
		}
	}
	if err := f.SetCellStyle(TopicsSheet, "A1", "E1", st.header); err != nil {
		return fmt.Errorf("style sheet %s: %w", TopicsSheet, err)
	}
	if err := f.SetColWidth(TopicsSheet, "B", "B", 24); err != nil {
		return fmt.Errorf("lay out sheet %s: %w", TopicsSheet, err)
	}
	return nil
}
