"""Synthetic Chinese news domain, character level: PER, LOC and ORG, one character per token.

Written for the lab's Chinese lessons (the `tiny-corpus` backbone learns its vocabulary from
it, so they run offline). Templates are word-segmented with spaces like the English domains and
filled by the shared generator; `as_characters` then splits every word into its characters, the
way character-level corpora such as Weibo NER are annotated (B- on the first character of an
entity, I- on the rest). Names are composed from common surnames, given-name characters and
invented company stems: no real person or statement is meant.

Hard cases on purpose: a city is a place in "在北京" but the first characters of an
organisation in "北京大学"; "华山" is a mountain (LOC) and also a given name.

    splits = as_characters(generate(SPEC, seed=0))
"""

from __future__ import annotations

import random

from engine.data.builtin.generator import SPLITS, DomainSpec, Splits
from engine.data.builtin.lexicon import words
from engine.data.types import Sentence

SURNAMES = tuple("王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕")
GIVEN = tuple(
    "伟芳娜敏静丽强磊军洋勇艳杰涛明超秀霞平刚桂英华玉兰建国志红文辉晓宇欣然浩宁婷雪梅海峰"
)
CITIES = words(
    "北京 上海 广州 深圳 成都 杭州 南京 武汉 西安 重庆 天津 苏州 长沙 郑州 青岛 厦门 昆明 "
    "大连 沈阳 哈尔滨 合肥 福州 济南 南宁 贵阳 兰州 太原 石家庄 乌鲁木齐 拉萨 海口 银川"
)
PROVINCES = words(
    "广东 浙江 江苏 四川 湖北 湖南 河南 河北 山东 山西 福建 云南 贵州 陕西 甘肃 辽宁 吉林 "
    "黑龙江 安徽 江西 海南 青海"
)
NATURE = words("长江 黄河 泰山 黄山 华山 峨眉山 西湖 太湖 洞庭湖 珠江 天山 昆仑山 青海湖")
STEMS = words(
    "华星 东方 远航 新禾 天诚 明达 九州 宏图 金桥 瑞丰 恒信 百川 长风 锦程 博远 嘉禾 星河 "
    "云帆 安泰 鼎盛 盛和 朝阳 启明 润泽"
)
ORG_KINDS = words("科技公司 集团 银行 电子 汽车 制药 航空 物流 传媒 保险")
CITY_ORGS = words("大学 人民医院 市政府 博物馆 图书馆 足球俱乐部 电视台 日报")


def person(rng: random.Random) -> str:
    given = rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.7 else "")
    return rng.choice(SURNAMES) + given


def place(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.45:
        return rng.choice(CITIES)
    if roll < 0.7:
        return rng.choice(PROVINCES) + ("省" if rng.random() < 0.5 else "")
    if roll < 0.85:
        return rng.choice(CITIES) + "市"
    return rng.choice(NATURE)


def organisation(rng: random.Random) -> str:
    if rng.random() < 0.55:
        return rng.choice(STEMS) + rng.choice(ORG_KINDS)
    return rng.choice(CITIES) + rng.choice(CITY_ORGS)


TEMPLATES = (
    "{PER} 昨天 在 {LOC} 会见 了 {ORG} 的 代表 。",
    "{ORG} 宣布 将 在 {LOC} 新建 一座 工厂 。",
    "记者 {day} 从 {ORG} 获悉 ， {PER} 已 出任 总经理 。",
    "{PER} 表示 ， {ORG} 今年 的 收入 增长 了 百分之 {num} 。",
    "{LOC} 的 气温 {day} 将 降到 {num} 度 以下 。",
    "{LOC} 和 {LOC} 之间 的 高铁 {day} 正式 开通 。",
    "{PER} 和 {PER} 共同 出席 了 在 {LOC} 举行 的 发布会 。",
    "据 {ORG} 消息 ， {LOC} 多地 出现 强降雨 。",
    "{ORG} 与 {ORG} 签署 了 合作 协议 。",
    "{PER} 出生 于 {LOC} ， 后来 加入 {ORG} 。",
    "游客 们 {day} 登上 了 {LOC:nature} 。",
    "{LOC:nature} 的 水位 {day} 上涨 了 {num} 米 。",
    "{PER} 在 {ORG} 工作 了 {num} 年 。",
    "今年 {month} ， {ORG} 在 {LOC} 开设 了 分公司 。",
    "{PER} 说 ， 这 项 工作 {day} 就 能 完成 。",
    "{ORG} 的 股价 {day} 下跌 了 {num} 个 百分点 。",
    "来自 {LOC} 的 {PER} 获得 了 冠军 。",
    "{PER} 教授 带领 {ORG} 的 团队 完成 了 研究 。",
    "{day} 上午 ， {PER} 抵达 {LOC} 进行 访问 。",
    "专家 提醒 ， {month} 是 {LOC} 旅游 的 旺季 。",
    "{LOC} 警方 {day} 通报 了 一起 交通 事故 。",
    "会议 {day} 在 {LOC} 召开 ， 数百 人 参加 。",
    "{ORG} 发言人 {PER} 拒绝 发表 评论 。",
    "今天 的 天气 很 好 ， 适合 出门 散步 。",
    "这 部 电影 {day} 在 全国 上映 。",
    "{PER} 的 新书 在 {LOC} 首发 。",
    "{ORG:city} 的 学生 {day} 参观 了 {LOC} 。",
    "{PER} 毕业 于 {ORG:city} ， 现 居住 在 {LOC} 。",
    "大家 好 ， 我 是 {PER} ， 来自 {LOC} 。",
)
TIME_WORDS = {
    "day": words("周一 周二 周三 周四 周五 周末 昨天 今天 前天 本周"),
    "num": words("三 五 六 八 十 十二 二十 两"),
    "month": words("一月 三月 五月 七月 九月 十月 十二月 春节 国庆"),
}

SPEC = DomainSpec(
    name="zh_news",
    entity_types=("PER", "LOC", "ORG"),
    templates=TEMPLATES,
    makers={
        "PER": person,
        "LOC": place,
        "LOC:nature": lambda rng: rng.choice(NATURE),
        "ORG": organisation,
        "ORG:city": lambda rng: rng.choice(CITIES) + rng.choice(CITY_ORGS[:4]),
    },
    anchors={
        "PER": ("李华山", "张海峰"),
        "LOC": ("北京", "上海", "香港"),
        "ORG": ("北京大学", "上海银行"),
    },
    fillers=TIME_WORDS,
    sizes={"train": 500, "dev": 100, "test": 100},
)


def as_characters(splits: Splits) -> Splits:
    """Every word split into its characters; an entity's first character keeps B-, the rest I-."""
    out: Splits = {}
    for split in SPLITS:
        sentences = []
        for s in splits[split]:
            tokens: list[str] = []
            tags: list[str] = []
            for word, tag in zip(s.tokens, s.tags, strict=True):
                inside = "O" if tag == "O" else f"I-{tag[2:]}"
                tokens += list(word)
                tags += [tag] + [inside] * (len(word) - 1)
            sentences.append(Sentence(tuple(tokens), tuple(tags), s.line))
        out[split] = tuple(sentences)
    return out
