package knowledge

import "unicode/utf8"

// fillers are the words of a spoken question that carry no content:
// "请问孩子怎么上户口需要什么材料" keeps only 孩子 and 上户口. Aspect
// words (材料, 流程, 多久) go too: every guide has those sections.
var fillers = setOf(
	"请问", "你好", "您好", "咨询", "咨询一下", "问一下", "想问", "想问一下", "我想", "我要", "想要", "需要",
	"怎么", "怎么办", "怎么办理", "怎么弄", "怎么样", "怎样", "如何", "如何办理", "哪里", "在哪", "在哪里",
	"在哪儿", "哪儿", "去哪", "去哪里", "什么", "需要什么", "要什么", "带什么", "要带", "多久", "多长时间",
	"几天", "多少钱", "能不能", "可不可以", "可以", "能否", "是否", "有没有", "需不需要", "一下", "办理",
	"手续", "流程", "材料", "条件", "时间", "地点", "电话", "费用", "收费", "规定", "政策", "问题", "我们",
	"你们", "他们", "自己", "现在", "已经", "应该", "还是", "或者", "然后", "所以", "因为", "如果", "这个",
	"那个", "哪个", "哪些", "一个", "办个", "办下", "要办", "想办", "我家", "家里", "怎么去", "谁",
)

// fillerRunes are single characters dropped at the ends of a word no
// dictionary entry covers: 我孩子 → 孩子, 执照吗 → 执照.
var fillerRunes = map[rune]bool{
	'我': true, '的': true, '了': true, '吗': true, '呢': true, '啊': true, '吧': true, '呀': true,
	'嘛': true, '哦': true, '么': true, '是': true, '在': true, '要': true, '想': true, '去': true,
	'给': true, '帮': true, '办': true, '能': true, '会': true, '就': true, '都': true, '也': true,
	'还': true, '和': true, '跟': true, '把': true, '被': true, '让': true, '请': true, '个': true,
}

// actions are the verbs of matter names (事项名称 pair a subject with an
// action: 居民身份证 + 补领, 住房公积金 + 提取) and their everyday forms,
// down to the lone verbs of spoken questions (社保卡怎么换, 个税怎么退).
// Each is shared by the guides of many subjects, so beside a subject it
// only orders that subject's guides: 社保卡补办 must find 社会保障卡
// guides first, not every guide about 补领. They join the segmentation
// dictionary so that they split off the subject they follow.
var actions = setOf(
	"补办", "补领", "补发", "补换", "补证", "换领", "换发", "换证", "申领", "办证", "挂失", "遗失", "丢失",
	"丢了", "掉了", "提取", "注销", "变更", "更正", "更名", "查询", "打印", "开具", "迁移", "迁出", "迁入",
	"转移", "过户", "延续", "续期", "激活", "登记", "备案", "申请", "缴纳", "缴费", "交费", "缴存",
	"年审", "年检", "审验", "年报", "换", "补", "领", "交", "查", "取", "退", "停", "用", "续",
)

var maxFillerRunes = func() int {
	n := 0
	for w := range fillers {
		n = max(n, utf8.RuneCountInString(w))
	}
	return n
}()

func setOf(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}

// lexicon seeds the segmentation dictionary and the pinyin index with the
// everyday words of government services; the guides' keywords and
// categories and the synonym table add to it.
var lexicon = []string{
	"身份证", "户口", "户籍", "入户", "落户", "迁移", "迁出", "迁入", "社保", "社保卡", "医保", "医保卡",
	"公积金", "营业执照", "个体户", "个体工商户", "公司", "注册", "注销", "变更", "备案", "许可", "许可证",
	"驾驶证", "驾照", "行驶证", "机动车", "车辆", "号牌", "车牌", "违章", "违法", "罚款", "年检", "护照",
	"通行证", "港澳", "台湾", "签注", "结婚", "离婚", "结婚证", "婚姻", "生育", "生孩子", "孩子", "小孩",
	"新生儿", "出生", "出生证", "入学", "上学", "学位", "学校", "幼儿园", "小学", "初中", "转学", "低保",
	"救助", "补贴", "补助", "津贴", "养老", "养老金", "退休", "失业", "失业金", "就业", "创业", "人才",
	"工伤", "劳动", "仲裁", "欠薪", "工资", "税务", "个税", "发票", "纳税", "退税", "不动产", "房产证",
	"房子", "买房", "购房", "租房", "过户", "抵押", "贷款", "提取", "缴存", "缴费", "交费", "补办", "补领",
	"换领", "换证", "遗失", "丢失", "挂失", "申领", "申请", "登记", "证明", "查询", "打印", "残疾", "残疾人",
	"残疾证", "老年人", "老人", "高龄", "居住证", "外地", "异地", "报销", "看病", "住院", "门诊", "体检",
	"疫苗", "接种", "施工", "工地", "噪音", "噪声", "污染", "环评", "排污", "餐饮", "饭店", "食品", "开店",
	"商标", "投诉", "举报", "消费", "停水", "停电", "燃气", "煤气", "水费", "电费", "报修", "网约车",
	"出租车", "公交", "法律援助", "律师", "公证", "调解", "退役军人", "优待证", "旅游", "旅行社", "消防",
	"绿化", "砍树", "广告", "占道", "摆摊", "违建", "违法建设", "电信", "诈骗", "农药", "农机", "家庭农场",
}
