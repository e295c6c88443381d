package main

import "github.com/open12345/hotline/demo"

// Queries beside the quality suite, as callers and agents type them,
// made of words the demo guides use. They have no wanted answers: they
// only shape the latency runs.
var (
	// shortQueries are two to four characters, the commonest searches.
	shortQueries = []string{
		"社保", "公积金", "户口", "医保卡", "护照", "低保", "驾照", "营业执照", "身份证", "居住证",
		"结婚证", "离婚", "准迁证", "落户", "年检", "过户", "违章", "退税", "发票", "契税",
		"失业金", "工伤", "劳动仲裁", "公证", "法律援助", "婚检", "出生证", "育儿补贴", "高龄津贴", "养老金",
		"退休", "医保码", "异地就医", "生育津贴", "公租房", "维修基金", "预售证", "排污许可", "停水", "停电",
		"燃气", "电费", "水费", "签注", "台湾通行证", "优待证", "光荣牌", "教资", "转学", "幼儿园",
		"积分入学", "网约车", "老人卡", "摆摊", "违建", "砍树", "12345", "12315", "个体户", "注册公司",
		"商标", "农机补贴", "消防检查", "危房", "人才公寓",
	}
	// colloquialQueries are questions as a caller asks them.
	colloquialQueries = []string{
		"我的社保卡丢了怎么补办", "公积金怎么取出来", "孩子上学要什么材料", "身份证过期了去哪里换",
		"怎么查社保缴费记录", "辞职了公积金能取吗", "租房可以提取公积金吗", "新生儿怎么办医保",
		"宝宝出生后怎么上户口", "驾驶证到期了怎么换", "车牌丢了怎么补", "二手车过户需要什么",
		"营业执照丢了怎么办", "开个小吃店要办什么证", "被公司辞退了能领失业金吗", "上下班路上出车祸算工伤吗",
		"老板不发工资去哪里投诉", "楼上装修太吵了", "小区停电了打什么电话", "水管爆了找谁修",
		"燃气漏气怎么办", "怎么申请公租房", "房产证丢了怎么补办", "买二手房要交哪些税",
		"去香港要办什么证", "护照丢了怎么办", "结婚登记要带什么", "老人八十岁有补贴吗",
		"残疾证怎么办理", "外地人怎么办居住证", "退伍军人有什么优待", "出租车绕路怎么投诉",
		"网上怎么实名认证", "个税怎么退", "怎么开无房证明", "幼儿园怎么报名",
	}
	// pinyinQueries are typed without switching the input method.
	pinyinQueries = []string{
		"shebao", "gongjijin", "hukou", "sfz", "yibao", "shebaoka", "yibaoka", "jiehunzheng", "juzhuzheng",
		"yingye zhizhao", "gongzufang", "nianjian", "guohu", "tuishui", "hukou qianyi", "shenfenzheng buban",
		"chushengzheng", "canjizheng", "shiyejin", "gjj tiqu",
	}
	// spacedQueries split the words as some people type them.
	spacedQueries = []string{
		"社保 卡", "公积金 提取", "身份证 补办", "户口 迁移", "医保 报销", "驾驶证 换证", "营业执照 注销", "结婚 登记",
	}
	// filteredQueries search one department's guides.
	filteredQueries = [][2]string{
		{"过户", "swjt"}, {"补办", "gaj-hz"}, {"提取", "gjj"}, {"证明", "rsj"}, {"登记", "mzj"},
		{"许可", "scjgj"}, {"投诉", "wglj"}, {"备案", "ybj"}, {"换领", "gaj-jj"}, {"补贴", "cl"},
		{"报销", "ybj"}, {"转移", "gjj"},
	}
)

// latencyQueries returns the queries above as cases without wanted codes.
func latencyQueries() []demo.QualityCase {
	var out []demo.QualityCase
	for _, set := range []struct {
		kind    string
		queries []string
	}{{"short", shortQueries}, {"colloquial", colloquialQueries}, {"pinyin", pinyinQueries}, {"spaced", spacedQueries}} {
		for _, q := range set.queries {
			out = append(out, demo.QualityCase{Kind: set.kind, Query: q})
		}
	}
	for _, f := range filteredQueries {
		out = append(out, demo.QualityCase{Kind: "department", Query: f[0], Department: f[1]})
	}
	return out
}

// searchMix is what the latency runs send round-robin: the quality
// suite, then the latency queries.
func searchMix() []demo.QualityCase {
	return append(demo.QualityCases(), latencyQueries()...)
}
