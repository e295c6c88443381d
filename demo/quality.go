package demo

import (
	"fmt"
	"slices"
	"strings"
)

// QualityCase is one query of the search-quality suite over the demo
// guides: what an agent or citizen types, and the guides that answer it.
type QualityCase struct {
	Kind       string   // abbreviation, synonym, colloquial, pinyin, typo, substring, department
	Query      string   //
	Department string   // filter, if any
	Want       []string // codes of the guides that answer the query
}

// QualityCases returns the search-quality suite.
func QualityCases() []QualityCase {
	c := func(kind, q string, want ...string) QualityCase { return QualityCase{Kind: kind, Query: q, Want: want} }
	d := func(q, dept string, want ...string) QualityCase {
		return QualityCase{Kind: "department", Query: q, Department: dept, Want: want}
	}
	hukou := []string{"gaj-hz-001", "gaj-hz-002", "gaj-hz-003", "gaj-hz-004", "gaj-hz-005", "gaj-hz-006", "gaj-hz-007", "gaj-hz-008", "gaj-hz-009", "rsj-015"}
	idCard := []string{"gaj-hz-010", "gaj-hz-011", "gaj-hz-012", "gaj-hz-013", "gaj-hz-014"}
	fund := []string{"gjj-001", "gjj-002", "gjj-003", "gjj-004", "gjj-005", "gjj-006", "gjj-007", "gjj-008", "gjj-009", "gjj-010", "gjj-011"}
	fundDraw := []string{"gjj-003", "gjj-004", "gjj-005", "gjj-006", "gjj-007"}
	social := []string{"rsj-001", "rsj-002", "rsj-003", "rsj-006", "rsj-007", "rsj-008", "swj-010"}
	return []QualityCase{
		c("abbreviation", "社保卡", "rsj-006", "rsj-007"),
		c("abbreviation", "公积金提取", fundDraw...),
		c("abbreviation", "医保转移", "ybj-005"),
		c("abbreviation", "个税退税", "swj-003"),
		c("abbreviation", "低保", "mzj-004"),
		c("abbreviation", "公租房", "zjj-003"),
		c("abbreviation", "环评", "sthjj-001", "sthjj-002", "sthjj-003"),
		c("abbreviation", "残疾证", "cl-001", "cl-002"),
		c("abbreviation", "准生证", "wjw-001"),
		c("abbreviation", "驾照到期", "gaj-jj-002"),
		c("abbreviation", "港澳通行证", "gaj-crj-004", "gaj-crj-005"),
		c("abbreviation", "小升初", "jyj-002"),
		c("abbreviation", "长护险", "ybj-012"),
		c("abbreviation", "门特", "ybj-008"),
		// An abbreviated subject and an action many guides share (补办 →
		// 补领, 补发): the subject's guides first, not every 补领 guide.
		c("abbreviation", "社保卡补办", "rsj-007", "rsj-006"),
		c("abbreviation", "身份证补办", "gaj-hz-012"),
		c("abbreviation", "残疾证补办", "cl-002"),

		c("synonym", "社会保险转移", "rsj-003"),
		c("synonym", "医疗保险异地备案", "ybj-006"),
		c("synonym", "住房公积金贷款", "gjj-008"),
		c("synonym", "最低生活保障", "mzj-004"),
		c("synonym", "房产证过户", "zrzyj-002"),
		c("synonym", "不动产权证书补办", "zrzyj-005"),
		c("synonym", "失业保险金", "rsj-010"),
		c("synonym", "个人所得税汇算", "swj-003"),
		c("synonym", "行驶本丢了", "gaj-jj-008"),
		c("synonym", "驾驶证补办", "gaj-jj-002"),
		c("synonym", "老年卡", "jtysj-005"),

		c("colloquial", "怎么办营业执照", "scjgj-001", "scjgj-005"),
		c("colloquial", "孩子怎么上户口", "gaj-hz-001", "gaj-hz-003"),
		c("colloquial", "身份证丢了怎么办", "gaj-hz-012"),
		c("colloquial", "我想开个饭店需要什么手续", "scjgj-008", "scjgj-011", "xfzd-001"),
		c("colloquial", "退休了怎么领养老金", "rsj-005"),
		c("colloquial", "公司拖欠工资怎么办", "rsj-018"),
		c("colloquial", "请问护照过期了怎么换", "gaj-crj-002"),
		c("colloquial", "结婚证在哪里领", "mzj-001"),
		c("colloquial", "晚上工地施工噪音扰民", "sthjj-006"),
		c("colloquial", "家里停水了", "swjt-004"),
		c("colloquial", "没电了找谁", "gdj-004"),
		c("colloquial", "车子怎么年检", "gaj-jj-009"),
		c("colloquial", "生孩子能报销吗", "ybj-010"),
		c("colloquial", "在外地看病怎么报销", "ybj-006", "ybj-009"),
		c("colloquial", "老人去世了户口怎么注销", "gaj-hz-006"),
		c("colloquial", "二手房过户要交多少税", "swj-008", "zrzyj-002"),
		c("colloquial", "外地孩子怎么在这里上学", "jyj-003"),
		// An abbreviated subject with a verb other subjects' guides share
		// (年审: vehicles' 年检) and an everyday name of a permit the guide
		// calls by its official one (拉货 → 道路货物运输经营许可).
		c("colloquial", "残疾证怎么年审", "cl-001", "cl-002"),
		c("colloquial", "拉货的车要办什么证", "jtysj-003"),
		c("colloquial", "开歌厅要什么手续", "wglj-004"),

		c("pinyin", "shebaoka", "rsj-006", "rsj-007"),
		c("pinyin", "gjj", fund...),
		c("pinyin", "gongjijin tiqu", fundDraw...),
		c("pinyin", "yidijiuyi", "ybj-006"),
		c("pinyin", "hukou", hukou...),
		c("pinyin", "sfz", idCard...),
		c("pinyin", "jiazhao", "gaj-jj-001", "gaj-jj-002"),
		c("pinyin", "dibao", "mzj-004"),
		c("pinyin", "huzhao", "gaj-crj-001", "gaj-crj-002", "gaj-crj-003"),
		// Pinyin typed with spaces between the syllables.
		c("pinyin", "she bao ka", "rsj-006", "rsj-007"),
		c("pinyin", "yi di jiu yi", "ybj-006"),

		c("typo", "shebbao", social...),
		c("typo", "gongjijn", fund...),
		c("typo", "huzaho", "gaj-crj-001", "gaj-crj-002", "gaj-crj-003"),
		c("typo", "yidijiuy", "ybj-006"),

		c("substring", "定期抚恤", "tyjrj-003"),
		c("substring", "简易注销", "scjgj-003", "scjgj-007"),
		c("substring", "出生一件事", "gaj-hz-001", "ybj-003"),
		c("substring", "峰谷分时", "gdj-002"),
		c("substring", "准予迁入", "gaj-hz-005"),
		c("substring", "悬挂", "tyjrj-004"),
		c("substring", "联单", "sthjj-005"),
		c("substring", "一网通办", "zsj-001"),

		d("过户", "gaj-jj", "gaj-jj-007"),
		d("过户", "zrzyj", "zrzyj-002", "zrzyj-007"),
		d("过户", "swjt", "swjt-003"),
		d("投诉", "jtysj", "jtysj-002"),
		d("年报", "scjgj", "scjgj-016"),
		d("补领", "mzj", "mzj-003"),
	}
}

// QualityReport sums up a run of the suite.
type QualityReport struct {
	Queries      int
	PrecisionAt1 float64 // share of queries whose first hit answers them
	RecallAt3    float64 // mean share of the wanted guides (up to 3) among the first three hits
	Misses       []string
}

// EvaluateQuality runs every case through search (which returns codes,
// best first) and scores the results.
func EvaluateQuality(search func(QualityCase) ([]string, error)) (QualityReport, error) {
	var r QualityReport
	for _, qc := range QualityCases() {
		got, err := search(qc)
		if err != nil {
			return r, fmt.Errorf("query %q: %w", qc.Query, err)
		}
		r.Queries++
		if len(got) > 0 && slices.Contains(qc.Want, got[0]) {
			r.PrecisionAt1++
		}
		found := 0
		for _, code := range got[:min(3, len(got))] {
			if slices.Contains(qc.Want, code) {
				found++
			}
		}
		r.RecallAt3 += float64(found) / float64(min(3, len(qc.Want)))
		if found == 0 {
			r.Misses = append(r.Misses, fmt.Sprintf("%s %q → %s", qc.Kind, qc.Query, strings.Join(got[:min(3, len(got))], ",")))
		}
	}
	r.PrecisionAt1 /= float64(r.Queries)
	r.RecallAt3 /= float64(r.Queries)
	return r, nil
}
