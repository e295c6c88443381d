#!/usr/bin/env bash
# Generates the built-in IVR prompts into telephony/prompts/wav/ (committed,
# embedded by package telephony/prompts): Mandarin speech from espeak-ng's
# cmn-latn-pinyin voice (its Hanzi dictionary is too small, so the text is
# pinyin with tone numbers; the Chinese is in the comment beside each) and
# a music-on-hold loop synthesised by sox. Everything is converted to what
# the IVR plays: 8 kHz, mono, signed 16-bit PCM WAV.
#
#   deploy/prompts/generate.sh [OUT_DIR]
#
# Needs espeak-ng and sox (deploy/local/services.sh test-tools installs
# them). Operators replace any prompt with their own recording in
# $HOTLINE_DATA_DIR/prompts/<name>.wav; see telephony/prompts/README.md.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"
OUT="${1:-$REPO_ROOT/telephony/prompts/wav}"
VOICE=cmn-latn-pinyin
SPEED=175 # words per minute, espeak's default

for tool in espeak-ng sox; do
	command -v "$tool" >/dev/null || {
		echo "generate.sh: $tool is missing (deploy/local/services.sh test-tools installs it)" >&2
		exit 1
	}
done
espeak-ng --voices="$VOICE" | grep -F "$VOICE" >/dev/null || {
	echo "generate.sh: espeak-ng has no $VOICE voice" >&2
	exit 1
}

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
mkdir -p "$OUT"

# Sox options for every output: repeatable (no random dither), 8 kHz mono
# 16-bit, no metadata chunks.
SOX=(sox -R -V1)
FORMAT=(-r 8000 -c 1 -b 16 -e signed-integer)

# speak NAME PINYIN: speech with the silence at both ends trimmed to 0.1 s,
# pauses inside shortened to 0.25 s, and the level normalised to -3 dBFS.
speak() {
	local name="$1" text="$2"
	espeak-ng -v "$VOICE" -s "$SPEED" -w "$TMP/$name.raw.wav" "$text"
	"${SOX[@]}" "$TMP/$name.raw.wav" "${FORMAT[@]}" "$OUT/$name.wav" \
		silence -l 1 0.02 0.5% -1 0.25 0.5% reverse silence 1 0.02 0.5% reverse \
		pad 0.1 0.1 norm -3
}

# 您好，这里是12345政务服务便民热线。
speak welcome "nin2 hao3, zhe4 li3 shi4 yao1 er4 san1 si4 wu3 zheng4 wu4 fu2 wu4 bian4 min2 re4 xian4."
# 咨询请按1，投诉举报请按2，建议请按3，查询工单进度请按4，人工服务请按0，重听请按9。
speak menu "zi1 xun2 qing3 an4 yi1, tou2 su4 ju3 bao4 qing3 an4 er4, jian4 yi4 qing3 an4 san1, cha2 xun2 gong1 dan1 jin4 du4 qing3 an4 si4, ren2 gong1 fu2 wu4 qing3 an4 ling2, chong2 ting1 qing3 an4 jiu3."
# 您的输入有误，请重新输入。
speak invalid "nin2 de5 shu1 ru4 you3 wu4, qing3 chong2 xin1 shu1 ru4."
# 正在为您转接人工服务，请稍候。
speak hold "zheng4 zai4 wei4 nin2 zhuan3 jie1 ren2 gong1 fu2 wu4, qing3 shao1 hou4."
# 您前面还有 … 位
speak position_before "nin2 qian2 mian4 hai2 you3"
speak position_after "wei4"
# 预计等待 … 分钟
speak wait_before "yu4 ji4 deng3 dai4"
speak wait_after "fen1 zhong1"
# 留言请按1，要求回电请按2，继续等待请不要挂机。
speak queue_options "liu2 yan2 qing3 an4 yi1, yao1 qiu2 hui2 dian4 qing3 an4 er4, ji4 xu4 deng3 dai4 qing3 bu2 yao4 gua4 ji1."
# 请在提示音后留言，结束请按井号键。
speak voicemail "qing3 zai4 ti2 shi4 yin1 hou4 liu2 yan2, jie2 shu4 qing3 an4 jing3 hao4 jian4."
# 我们将尽快给您回电。
speak callback "wo3 men5 jiang1 jin3 kuai4 gei3 nin2 hui2 dian4."
# 回电到本机请按井号键，回电到其他号码请输入号码，以井号键结束。
speak callback_number "hui2 dian4 dao4 ben3 ji1 qing3 an4 jing3 hao4 jian4, hui2 dian4 dao4 qi2 ta1 hao4 ma3 qing3 shu1 ru4 hao4 ma3, yi3 jing3 hao4 jian4 jie2 shu4."
# 您的留言已记录，我们会尽快处理。
speak voicemail_saved "nin2 de5 liu2 yan2 yi3 ji4 lu4, wo3 men5 hui4 jin3 kuai4 chu3 li3."
# 现在是非人工服务时间。
speak after_hours "xian4 zai4 shi4 fei1 ren2 gong1 fu2 wu4 shi2 jian1."
# 请为本次服务评分，非常满意请按5，满意请按4，一般请按3，不满意请按2，非常不满意请按1。
speak survey "qing3 wei4 ben3 ci4 fu2 wu4 ping2 fen1, fei1 chang2 man3 yi4 qing3 an4 wu3, man3 yi4 qing3 an4 si4, yi4 ban1 qing3 an4 san1, bu4 man3 yi4 qing3 an4 er4, fei1 chang2 bu4 man3 yi4 qing3 an4 yi1."
# 感谢您的来电，再见。
speak goodbye "gan3 xie4 nin2 de5 lai2 dian4, zai4 jian4."
# 系统繁忙，请稍后再拨。
speak busy "xi4 tong3 fan2 mang2, qing3 shao1 hou4 zai4 bo1."
# The ticket progress lookup (IVR key 4).
# 请输入工单编号，以井号键结束。
speak progress_number "qing3 shu1 ru4 gong1 dan1 bian1 hao4, yi3 jing3 hao4 jian4 jie2 shu4."
# 请输入登记电话号码的后四位。
speak progress_last4 "qing3 shu1 ru4 deng1 ji4 dian4 hua4 hao4 ma3 de5 hou4 si4 wei4."
# 输入有误，未查询到该工单。
speak progress_mismatch "shu1 ru4 you3 wu4, wei4 cha2 xun2 dao4 gai1 gong1 dan1."
# 未能查询到工单，请核对工单编号。
speak progress_failed "wei4 neng2 cha2 xun2 dao4 gong1 dan1, qing3 he2 dui4 gong1 dan1 bian1 hao4."
# 转人工服务请按0，结束查询请挂机。
speak progress_end "zhuan3 ren2 gong1 fu2 wu4 qing3 an4 ling2, jie2 shu4 cha2 xun2 qing3 gua4 ji1."
# 您的工单当前状态为 … 承办单位为 … 办理期限为 …
speak progress_status "nin2 de5 gong1 dan1 dang1 qian2 zhuang4 tai4 wei2"
speak progress_department "cheng2 ban4 dan1 wei4 wei2"
speak progress_due "ban4 li3 qi1 xian4 wei2"
# One per ticket status: 已受理 已派发 办理中 正在重新派发 已答复 已办结 已合并办理 不予受理
speak status_accepted "yi3 shou4 li3"
speak status_dispatched "yi3 pai4 fa1"
speak status_in_progress "ban4 li3 zhong1"
speak status_returned "zheng4 zai4 chong2 xin1 pai4 fa1"
speak status_replied "yi3 da2 fu4"
speak status_closed "yi3 ban4 jie2"
speak status_merged "yi3 he2 bing4 ban4 li3"
speak status_rejected "bu4 yu3 shou4 li3"
# 十 年 月 日, for dates: 2026年12月3日 is digits 2 0 2 6, 年, 十 2, 月, 3, 日.
speak number_ten "shi2"
speak date_year "nian2"
speak date_month "yue4"
speak date_day "ri4"
# 零 一 二 … 九, one file each, for numbers spoken digit by digit.
digits=(ling2 yi1 er4 san1 si4 wu3 liu4 qi1 ba1 jiu3)
for i in "${!digits[@]}"; do
	speak "digit_$i" "${digits[$i]}"
done

# The voicemail beep: 0.4 s of 1 kHz.
"${SOX[@]}" -n "${FORMAT[@]}" "$OUT/beep.wav" synth 0.4 sine 1000 fade 0.01 0.4 0.01 gain -6

# Music on hold: a four-bar phrase on the pentatonic scale, plucked notes
# over a soft fifth, written for this project (no third-party music or
# samples), repeated to 30 s so it loops cleanly, at -12 dBFS so it stays
# in the background.
notes=(G4 A4 C5 D5 E5 D5 C5 A4 G4 E4 G4 A4 C5 A4 G4 -
	E4 G4 A4 C5 D5 C5 A4 G4 A4 C5 D5 E5 D5 C5 A4 -)
parts=()
for i in "${!notes[@]}"; do
	n="${notes[$i]}"
	f="$TMP/note_$i.wav"
	if [[ "$n" == - ]]; then
		"${SOX[@]}" -n "${FORMAT[@]}" "$f" trim 0 0.375
	else
		"${SOX[@]}" -n "${FORMAT[@]}" "$f" synth 0.375 pluck "$n" fade 0 0.375 0.2
	fi
	parts+=("$f")
done
"${SOX[@]}" "${parts[@]}" "$TMP/melody.wav"                           # 12 s
"${SOX[@]}" "$TMP/melody.wav" "$TMP/melody3.wav" repeat 2             # 36 s
"${SOX[@]}" -n "${FORMAT[@]}" "$TMP/pad.wav" synth 30 sine C3 sine G3 remix 1,2 gain -18
"${SOX[@]}" -m "$TMP/melody3.wav" "$TMP/pad.wav" "${FORMAT[@]}" "$OUT/hold_music.wav" \
	trim 0 30 fade 0.5 30 0.5 norm -12

du -ch "$OUT"/*.wav | tail -1
