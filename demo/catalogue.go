package demo

import "github.com/open12345/hotline/ticketing"

// cat builds a category; sub builds a subcategory. Both take the
// responsible departments in order, the lead first.
func cat(code, name string, depts []string, children ...ticketing.Category) ticketing.Category {
	return ticketing.Category{Code: code, Name: name, Departments: depts, Children: children}
}

func sub(code, name string, depts ...string) ticketing.Category {
	return ticketing.Category{Code: code, Name: name, Departments: depts}
}

func ds(codes ...string) []string { return codes }

// Catalogue returns the demo dispatch catalogue (派单目录): two levels of
// categories, each naming its city-level responsible departments.
func Catalogue() ticketing.Catalogue {
	var cats []ticketing.Category
	for _, group := range []func() []ticketing.Category{welfareCategories, cityCategories, serviceCategories} {
		cats = append(cats, group()...)
	}
	return ticketing.Catalogue{Categories: cats}
}

// welfareCategories: social security, housing, markets, environment.
func welfareCategories() []ticketing.Category {
	return []ticketing.Category{
		cat("shbz", "社会保障", ds("rsj"),
			sub("shbz-ylbx", "养老保险", "rsj"),
			sub("shbz-syebx", "失业保险", "rsj"),
			sub("shbz-gsbx", "工伤保险", "rsj"),
			sub("shbz-sbk", "社会保障卡", "rsj"),
			sub("shbz-jfjs", "社保缴费与缴费基数", "rsj", "swj")),
		cat("zfbz", "住房保障与房地产", ds("zjj"),
			sub("zfbz-bzf", "保障性住房", "zjj"),
			sub("zfbz-spf", "商品房交易与交付", "zjj"),
			sub("zfbz-wygl", "物业管理", "zjj"),
			sub("zfbz-zl", "房屋租赁", "zjj"),
			sub("zfbz-jzsg", "建筑施工与加装电梯", "zjj"),
			sub("zfbz-bdc", "不动产登记", "zrzyj")),
		cat("scjg", "市场监管与消费维权", ds("scjgj"),
			sub("scjg-spaq", "食品安全", "scjgj"),
			sub("scjg-xfwq", "消费维权", "scjgj"),
			sub("scjg-wzjy", "无证无照经营", "scjgj", "cgj"),
			sub("scjg-jgjd", "价格监督", "scjgj"),
			sub("scjg-ypyl", "药品与医疗器械", "scjgj"),
			sub("scjg-yfk", "预付卡消费", "scjgj", "shangwj")),
		cat("sthj", "生态环境", ds("sthjj"),
			sub("sthj-zs", "噪声污染", "sthjj", "cgj"),
			sub("sthj-dqwr", "大气污染", "sthjj"),
			sub("sthj-sswr", "水污染", "sthjj"),
			sub("sthj-gfwr", "固体废物", "sthjj", "cgj"),
			sub("sthj-cyyy", "餐饮油烟", "sthjj", "cgj")),
	}
}

// cityCategories: city management, transport, health, education, papers.
func cityCategories() []ticketing.Category {
	return []ticketing.Category{
		cat("csgl", "城市管理", ds("cgj"),
			sub("csgl-wfjs", "违法建设", "cgj"),
			sub("csgl-zdjy", "占道经营", "cgj"),
			sub("csgl-ljfl", "垃圾分类与清运", "cgj"),
			sub("csgl-szss", "市政设施与公厕", "cgj"),
			sub("csgl-yllh", "园林绿化与树木", "lyylj"),
			sub("csgl-hwgg", "户外广告与招牌", "cgj")),
		cat("jtcx", "交通出行", ds("jtysj"),
			sub("jtcx-gjxl", "公交线路与服务", "jtysj"),
			sub("jtcx-czc", "出租车与网约车", "jtysj"),
			sub("jtcx-gdjt", "地铁与轨道交通", "jtysj"),
			sub("jtcx-jtwf", "交通违法与停车", "gaj-jj"),
			sub("jtcx-dlss", "道路与交通设施", "gaj-jj", "jtysj"),
			sub("jtcx-gxdc", "共享单车", "jtysj", "cgj")),
		cat("ylws", "医疗卫生", ds("wjw"),
			sub("ylws-yyfw", "医院服务", "wjw"),
			sub("ylws-yljf", "医疗纠纷", "wjw"),
			sub("ylws-ggws", "公共卫生与疫苗接种", "wjw"),
			sub("ylws-tyfw", "托育与妇幼保健", "wjw")),
		cat("jy", "教育", ds("jyj"),
			sub("jy-zsrx", "招生入学", "jyj"),
			sub("jy-xwpx", "校外培训", "jyj", "scjgj"),
			sub("jy-xxsf", "学校收费", "jyj", "scjgj"),
			sub("jy-xygl", "校园管理与安全", "jyj")),
		cat("hjzj", "户籍与证件", ds("gaj-hz"),
			sub("hjzj-hkqy", "户口迁移与入户", "gaj-hz"),
			sub("hjzj-sfz", "居民身份证", "gaj-hz"),
			sub("hjzj-jzz", "居住证", "gaj-hz")),
	}
}

// serviceCategories: civil affairs, insurance, utilities, labour, safety
// and the remaining government services.
func serviceCategories() []ticketing.Category {
	return []ticketing.Category{
		cat("mzjz", "民政与社会救助", ds("mzj"),
			sub("mzjz-dbjz", "最低生活保障与救助", "mzj"),
			sub("mzjz-ylfw", "养老服务", "mzj"),
			sub("mzjz-hydj", "婚姻登记", "mzj"),
			sub("mzjz-cjr", "残疾人服务", "mzj"),
			sub("mzjz-bzgl", "殡葬管理", "mzj"),
			sub("mzjz-tyjr", "退役军人服务", "tyjrj")),
		cat("ylbz", "医疗保障", ds("ybj"),
			sub("ylbz-bxjs", "医保报销与结算", "ybj"),
			sub("ylbz-cbjf", "医保参保缴费", "ybj", "swj"),
			sub("ylbz-ydjy", "异地就医", "ybj"),
			sub("ylbz-jjjg", "定点机构与基金监管", "ybj")),
		cat("zfgjj", "住房公积金", ds("gjj"),
			sub("zfgjj-tq", "公积金提取", "gjj"),
			sub("zfgjj-dk", "公积金贷款", "gjj"),
			sub("zfgjj-jc", "公积金缴存", "gjj")),
		cat("sdq", "水电气公用事业", ds("swjt"),
			sub("sdq-gs", "供水", "swjt"),
			sub("sdq-ps", "排水与内涝", "swjt"),
			sub("sdq-gd", "供电", "gdj"),
			sub("sdq-rq", "燃气供应", "rqgs"),
			sub("sdq-tx", "通信与宽带", "txglj")),
		cat("ldyg", "劳动用工", ds("rsj"),
			sub("ldyg-tqgz", "拖欠工资", "rsj"),
			sub("ldyg-ldht", "劳动合同与劳动争议", "rsj"),
			sub("ldyg-jycy", "就业创业", "rsj"),
			sub("ldyg-zypx", "职业技能培训", "rsj")),
		cat("yjaq", "应急与安全", ds("yjglj"),
			sub("yjaq-aqsc", "安全生产", "yjglj"),
			sub("yjaq-xfaq", "消防安全", "xfzd"),
			sub("yjaq-dtaq", "电梯与特种设备", "scjgj"),
			sub("yjaq-rqaq", "燃气安全", "rqgs", "cgj"),
			sub("yjaq-fxfz", "防汛与自然灾害", "yjglj", "swjt")),
		cat("zhzw", "综合政务", ds("zsj"),
			sub("zhzw-zwfw", "政务服务", "zsj"),
			sub("zhzw-ssfw", "税费服务", "swj"),
			sub("zhzw-flfw", "法律服务", "sfj"),
			sub("zhzw-whly", "文化旅游", "wglj"),
			sub("zhzw-nync", "农业农村", "nyncj"),
			sub("zhzw-swfw", "商贸流通", "shangwj")),
	}
}
