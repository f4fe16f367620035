"""Findings: what the checks found, as data, with one catalogue of codes and Japanese messages.

A finding is never an exception. Every stage returns findings; the collect report, the CSV, the
return packets and the store all show the same objects. Positions are the ones a person sees in
Excel: the sheet's tab name and an A1 cell reference.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"      # the return cannot be accepted until this is fixed
    WARNING = "warning"  # accepted, but the secretariat should look

    @property
    def label(self) -> str:
        return "エラー" if self is Severity.ERROR else "警告"


@dataclass(frozen=True)
class Entry:
    severity: Severity
    title: str      # short Japanese name of the problem (a column in the findings workbook)
    template: str   # the message: what is wrong and what to do, with {placeholders}


E, W = Severity.ERROR, Severity.WARNING

# One catalogue for every code. Prefixes: FILE (the file itself), IDENT (whose workbook it is),
# SUBM (submissions and the roster), SHEET, ROW (initiative rows), VALUE (a cell's value), RESP (the
# answers to the committee's opinions in a workbook), OPIN (the committee's register), HIST (a year's
# 転記票 of a year done by hand), PLAN (the plan master in Excel), SETUP (the config, the plan and the
# machine before the first workbooks go out: make check).
CATALOGUE: dict[str, Entry] = {
    # --- the file, before any parser touches it
    "FILE_001": Entry(E, "空のファイル", "ファイルが空（0バイト）です。保存し直した調査票を送ってもらってください。"),
    "FILE_002": Entry(E, "ファイルが大きすぎる", "ファイルが {size} バイトあり、上限 {limit} バイトを超えています。調査票以外のデータを消して保存し直してもらってください。"),
    "FILE_003": Entry(E, "壊れたファイル", "Excelファイル（.xlsx）として読めません（{detail}）。Excelで開けるか確認し、保存し直して送ってもらってください。"),
    "FILE_004": Entry(E, "パスワード付きファイル", "ファイルがパスワードで暗号化されています。パスワードを解除して保存し直すか、設定 collect.workbook_password にパスワードを登録してください。"),
    "FILE_005": Entry(E, "パスワード不一致", "暗号化されたファイルを設定のパスワードで開けませんでした。パスワードを解除して送ってもらってください。"),
    "FILE_006": Entry(E, "古い形式（.xls）", "Excel 97-2003 形式（.xls）のファイルです。配布した調査票（.xlsx）に記入し、「Excel ブック（.xlsx）」で保存して送ってもらってください。"),
    "FILE_007": Entry(E, "ODS形式", "OpenDocument 形式（.ods）のファイルです。LibreOffice では「名前を付けて保存」で「Excel 2007-365（.xlsx）」を選んで保存し直してもらってください。"),
    "FILE_008": Entry(E, "圧縮率の異常", "ファイル内の {part} の圧縮率が {ratio:.0f} 倍で、上限 {limit:.0f} 倍を超えています（ZIP爆弾の疑い）。開かずに、送り主に確認してください。"),
    "FILE_009": Entry(E, "展開後サイズの超過", "ファイルの展開後の大きさが {size} バイトで、上限 {limit} バイトを超えています。開かずに、送り主に確認してください。"),
    "FILE_010": Entry(E, "部品数の超過", "ファイル内の部品が {count} 個あり、上限 {limit} 個を超えています。配布した調査票に記入し直してもらってください。"),
    "FILE_011": Entry(E, "マクロを含む", "マクロ（VBA）を含むファイルです（{part}）。マクロは実行しません。配布した調査票（.xlsx）に記入し直してもらってください。"),
    "FILE_012": Entry(E, "ActiveXを含む", "ActiveX コントロールを含むファイルです（{part}）。配布した調査票（.xlsx）に記入し直してもらってください。"),
    "FILE_013": Entry(E, "埋め込みオブジェクト", "埋め込みオブジェクトを含むファイルです（{part}）。貼り付けた図や文書を削除して保存し直してもらってください。"),
    "FILE_014": Entry(E, "外部リンク", "他のファイルへのリンク（外部参照）を含んでいます（{part}）。「リンクの解除」をして値だけにし、保存し直してもらってください。"),
    "FILE_015": Entry(E, "読み取りの異常終了", "ファイルを読み取る処理が異常終了しました（{detail}）。ファイルが壊れている可能性があります。Excelで開けるか確認し、保存し直して送ってもらってください。"),
    "FILE_016": Entry(E, "読み取りの時間切れ", "ファイルの読み取りが {seconds:.0f} 秒で終わりませんでした。不要な行や列を削除して保存し直してもらってください。"),
    "FILE_017": Entry(E, "XMLの危険な構造", "ファイル内のXMLに外部実体やエンティティ宣言があり、安全のため読み取りません（{part}）。配布した調査票に記入し直してもらってください。"),
    "FILE_018": Entry(E, "受付フォルダー外へのリンク", "受付フォルダーの外を指すリンク（{target}）です。読み取りません。ファイルそのものを受付フォルダーに保存してください。"),
    "FILE_019": Entry(E, "読み取り中の変更", "読み取り中にファイルが変更されました（保存・コピーの途中の可能性）。コピーが終わってから、もう一度 make collect を実行してください。"),
    "FILE_020": Entry(E, "ファイルを開けない", "ファイルを開けません（{detail}）。アクセス権やファイルの場所を確認してください。"),
    "FILE_021": Entry(W, "対象外のファイル", "調査票ではないファイル（{detail}）のため取り込みません。必要なら .xlsx で保存し直してください。"),
    # --- whose workbook it is (the hidden identity)
    "IDENT_001": Entry(E, "調査票ではない", "配布した調査票の識別情報（非表示シート）が見つかりません。配布した調査票に記入して送ってもらってください。"),
    "IDENT_002": Entry(E, "別の計画の調査票", "別の計画（{value}）の調査票です。今回の計画（{expected}）の調査票に記入し直してもらってください。"),
    "IDENT_003": Entry(E, "別の年度の調査票", "{value}年度の調査票です。{expected}年度の調査票に記入し直してもらってください。"),
    "IDENT_004": Entry(E, "不明な部署", "調査票の部署コード「{value}」は計画に登録されていません。その部署の調査票に記入し直してもらってください。"),
    "IDENT_005": Entry(E, "古い様式", "様式のバージョン {value} の調査票です（現在は {expected}）。今回配布した調査票に記入し直してもらってください。"),
    "IDENT_006": Entry(W, "調査票IDの不一致", "調査票ID（{value}）が今回配布したもの（{expected}）と違います。計画ファイルが配布後に変わった可能性があります。内容を確認してください。"),
    "IDENT_007": Entry(W, "ファイル名と部署の不一致", "ファイル名からは別の部署に見えますが、調査票の識別情報では「{value}」の調査票です。識別情報の部署として扱います。"),
    "IDENT_008": Entry(E, "識別情報のない調査票", "{department}の調査票のようですが、配布した調査票の識別情報（非表示シート）がありません（シートを新しいブックにコピーした可能性）。識別情報がないため受け付けられません。{department}に、配布した調査票に記入し直して送ってもらってください。"),
    "FILE_022": Entry(W, "ZIP の中の調査票", "ZIP ファイルの中に {members} があります。collect は ZIP を展開しません。展開して、中の調査票を受付フォルダーに保存してから、もう一度 make collect を実行してください（ZIP は残して構いません）。"),
    "FILE_023": Entry(W, "メールのまま保存", "メールのファイル（{kind}）のまま保存されていて、添付ファイル {members} は取り込まれません。メールを開き、添付ファイルをそのまま受付フォルダーに保存してから、もう一度 make collect を実行してください（メールのファイルは残して構いません）。"),
    "FILE_024": Entry(W, "パスワード付き ZIP", "パスワード付きの ZIP ファイルで、中に {members} があります。collect は ZIP を展開しません。送り主にパスワードを確かめて展開するか、ZIP にせずに送ってもらい、調査票を受付フォルダーに保存してから、もう一度 make collect を実行してください。"),
    # --- submissions and the roster
    "SUBM_001": Entry(W, "同じファイルの重複", "同じ内容のファイルが複数あります（{other}）。1件として扱います。"),
    "SUBM_002": Entry(W, "別の回答を採用", "同じ部署の別の回答（{other}）を採用したため、このファイルは使いません（{rule}）。"),
    "SUBM_003": Entry(E, "未提出", "{department}の調査票が提出されていません（提出期限 {deadline}）。督促してください。"),
    "SUBM_004": Entry(W, "採用の判断に要確認", "同じ部署から内容の違う回答が {count} 件あり、このファイルを採用しました（{rule}）。{doubt}。別のファイルを採用するときは、{choices_file} に {line} の1行を書いて、もう一度 make collect を実行してください。"),
    "SUBM_005": Entry(W, "事務局の指定で採用", "採用の指定ファイル（{choices_file}）の指定により、このファイルを採用しました。"),
    "SUBM_006": Entry(E, "使えない形で提出", "{department}からは「{value}」（{file}）が届いていますが、このままでは取り込めません（未提出ではありません）。{ask}"),
    # --- sheets
    "SHEET_001": Entry(E, "シートがない", "取組項目 {value} のシートがありません（削除または名前の変更）。配布した調査票のシートに記入し直してもらってください。"),
    "SHEET_002": Entry(W, "余分なシート", "配布した調査票にないシート「{value}」があります。このシートは読み取りません。"),
    "SHEET_003": Entry(W, "余分な行", "シートの {rows} 行目まで入力があります（調査票は {expected} 行程度）。調査票の行だけを読み取りました。不要な行を削除してもらってください。"),
    # --- initiative rows
    "ROW_001": Entry(E, "取組の行がない", "取組 {value} の行がありません（削除された可能性）。配布した調査票の行に記入し直してもらってください。"),
    "ROW_002": Entry(E, "取組の行の重複", "取組 {value} の行が複数あります（{cells}）。1行にまとめてもらってください。"),
    "ROW_003": Entry(E, "不明な取組", "この部署の調査票にない取組ID「{value}」の行があります。配布した調査票の行に記入し直してもらってください。"),
    "ROW_004": Entry(W, "計画の文言の変更", "変更できない計画の文言（{field}）が書き換えられています。回答は読み取りますが、計画の文言は計画ファイルのものを使います。"),
    "ROW_005": Entry(W, "読み取らない場所の入力", "調査票が読み取らないセル（{place}）に「{value}」と入力されています{more}。この内容は取り込まれません。回答なら回答欄（黄色のセル）に記入し、不要なら削除してもらってください。"),
    "ROW_006": Entry(E, "単位の変更", "指標実績値の単位のセルが{now}に書き換えられています（計画の単位は「{unit}」）。実績値の意味が変わるため取り込みません。単位を「{unit}」に戻し、{unit}の数値を記入してもらってください。"),
    # --- values
    "VALUE_001": Entry(E, "必須項目が空", "「{field}」が未記入です。記入してください。"),
    "VALUE_002": Entry(E, "選択肢にない値", "「{field}」の「{value}」は選択肢にありません。一覧（{choices}）から選んでください。"),
    "VALUE_003": Entry(E, "数値ではない", "「{field}」の「{value}」を数値として読めません。数字だけで記入してください（例: 1234）。"),
    "VALUE_004": Entry(E, "単位の誤り", "「{field}」の「{value}」は単位が違います。単位（{unit}）の数値を数字だけで記入してください。"),
    "VALUE_005": Entry(E, "文字数の超過", "「{field}」が {length} 文字あり、上限 {limit} 文字を超えています。要点を {limit} 文字以内にまとめてください。"),
    "VALUE_006": Entry(W, "制御文字の除去", "「{field}」に表示できない制御文字が含まれていたため、取り除いて読み取りました。内容を確認してください。"),
    "VALUE_007": Entry(E, "負の数値", "「{field}」が負の値（{value}）です。0以上の数値を記入してください。"),
    "VALUE_008": Entry(W, "数式", "「{field}」に数式があります。計算結果の値（{value}）を読み取りました。値を直接入力してもらうと確実です。"),
    "VALUE_009": Entry(E, "表示形式で意味が変わる", "「{field}」のセルは表示形式が「{format}」で、「{shown}」と{meaning}（保存されている値は {value}）。{unit}の数として読めないため取り込みません。セルの表示形式を「標準」に戻し、{unit}の数値を数字だけで記入してください（例: 1234）。"),
    "VALUE_010": Entry(W, "百分率の桁の疑い", "「{field}」が {value} です。計画の{figures}と比べて桁が小さく、{percent}% のつもりで {value} と入力した可能性があります。{value}% で正しいか確認し、{percent}% なら {percent} と記入し直してもらってください。"),
    "VALUE_011": Entry(E, "数える単位に小数", "「{field}」が {value}{unit} で、小数になっています。{unit}は数える単位なので、整数で記入してください。"),
    "VALUE_012": Entry(E, "計算式のエラー", "「{field}」の{what}（{value}）になっています。エラーのため値を読み取れず、取り込みません。正しい値を直接入力してください（計算式を使うなら、エラーにならないよう参照先や割る数を直してください）。"),
    "VALUE_013": Entry(E, "計算されていない計算式", "「{field}」に計算式がありますが、計算結果が保存されていません（計算をしないプログラムで作られたファイルの可能性）。値を読み取れないため取り込みません。Excel で開いて計算させてから保存し直すか、値を直接入力してください。"),
    "VALUE_014": Entry(W, "桁違いに大きい実績値", "「{field}」が {value}{unit} です。計画の{figures}の {factor} 倍を超えており、桁・単位・貼り付けの誤りの可能性があります。事務局が確認するまで、この実績値は取り込まず、報告書・公開用の表・ウェブページでは「確認中」とします。部署に確かめて正しい数値なら、{confirm_file} に {line} の1行を書いて、もう一度 make collect を実行してください。誤りなら、正しい数値を記入し直してもらってください。"),
    "VALUE_015": Entry(W, "事務局が確認した実績値", "「{field}」の {value}{unit} は計画の{figures}と比べて桁違いに大きい数値ですが、事務局の確認（{confirm_file}）により実績値として取り込みました。"),
    "VALUE_016": Entry(W, "見えない文字の除去", "「{field}」に、文字の並びを逆にするなど表示を変える制御文字（U+202E など）や幅のない文字（U+200B など）が含まれていたため、取り除いて読み取りました（報告書・公表用の表・ウェブページには取り除いた文字で載ります）。読み取った内容: {value}"),
    # --- the committee's opinions, as answered in a department's workbook (委員会意見 sheet)
    "RESP_001": Entry(E, "委員会意見のシートがない", "委員会意見への対応を記入するシート「{value}」がありません（削除または名前の変更）。配布した調査票のシートに記入してもらってください。"),
    "RESP_002": Entry(E, "意見の行がない", "委員会意見 {value} の行がありません（削除された可能性）。配布した調査票の行に、対応状況と対応内容を記入してもらってください。"),
    "RESP_003": Entry(E, "不明な意見", "この部署に尋ねていない意見番号「{value}」の行があります。配布した調査票の行に記入してもらってください。"),
    "RESP_004": Entry(E, "対応内容が空", "対応状況が「{status}」のときは、対応内容を記入してください（何をしたか、しない理由など）。"),
    "RESP_005": Entry(W, "委員会意見を尋ねていない調査票", "この調査票は委員会意見 {value} の登録より前に作られたため、その対応を尋ねていません。対応は「回答なし」として記録し、来年度も尋ねます。今年度中に回答を求めるときは、make templates YEAR={year} FORCE=1 DEPT={department_code} で調査票を作り直して送ってください。"),
    # --- the committee's register (委員会意見・優良事例), kept by the secretariat
    "OPIN_001": Entry(E, "記録票ではない", "委員会意見・優良事例の記録票の識別情報（非表示シート）が見つかりません{detail}。make opinions-template で作った記録票に記入してください（シートを別のブックにコピーすると識別情報がなくなります）。"),
    "OPIN_002": Entry(E, "別の計画の記録票", "別の計画（{value}）の記録票です。今回の計画（{expected}）で make opinions-template を実行して作った記録票に、内容を書き写してください。"),
    "OPIN_003": Entry(E, "別の年度の記録票", "{value}年度の報告書についての記録票です（取り込もうとしたのは {expected}年度）。--year の指定を確かめるか、make opinions-template YEAR={expected} で作った記録票に内容を書き写してください。"),
    "OPIN_004": Entry(E, "古い様式の記録票", "様式のバージョン {value} の記録票です（現在は {expected}）。この記録票を別のフォルダーに移してから make opinions-template で作り直し、内容を書き写してください。"),
    "OPIN_005": Entry(W, "記録票の作成後に計画が変更", "記録票を作った後に計画ファイルが変わっています（記録票ID {value}、現在の計画では {expected}）。一覧の選択肢が古い可能性があるため、内容は現在の計画で点検しました。管理番号・取組ID・部署が正しいか確認してください。"),
    "OPIN_006": Entry(E, "記録票のシートがない", "記録票のシート「{value}」がありません（削除または名前の変更）。シート名を「{value}」に戻すか、make opinions-template で作った記録票に内容を書き写してください。"),
    "OPIN_007": Entry(E, "番号の誤り", "行の「{field}」が正しくありません（{problem}）。番号の列は書き換えず、記録票の行をそのまま使ってください（行の追加・並べ替えはしないでください）。"),
    "OPIN_008": Entry(E, "管理番号が空", "意見に管理番号がありません。どの取組項目への意見か、一覧から管理番号を選んでください（計画全体への意見は「全般」）。"),
    "OPIN_009": Entry(E, "不明な管理番号", "管理番号「{value}」は計画にありません。一覧から取組項目の管理番号（例: {example}）を選んでください（計画全体への意見は「全般」）。"),
    "OPIN_010": Entry(E, "意見が空", "この行に意見が記入されていません。委員会の意見を記入してください。使わない行なら、管理番号・対応部署など、その行の記入をすべて消してください。"),
    "OPIN_011": Entry(E, "不明な部署", "対応部署「{value}」は計画の部署にありません。一覧から部署名を選ぶか、部署コード（記入要領シートの表）を記入してください。"),
    "OPIN_012": Entry(E, "調査票のない部署", "対応部署「{value}」には調査票を配布していないため、意見への対応を尋ねられません。調査票を受け取る部署（一覧の部署）を選んでください。"),
    "OPIN_013": Entry(E, "全般の対応部署が空", "管理番号「全般」（計画全体）の意見には、対応部署が必要です。意見に答える部署を一覧から選んでください。"),
    "OPIN_014": Entry(E, "会議日が読めない", "会議日「{value}」を日付として読めません。{example} のように日付で記入するか、空欄にしてください。"),
    "OPIN_015": Entry(E, "取組IDが空", "優良事例に取組IDがありません。一覧から、紹介する具体的な取組の取組IDを選んでください。"),
    "OPIN_016": Entry(E, "不明な取組ID", "取組ID「{value}」は計画にありません。一覧から具体的な取組の取組ID（例: {example}）を選んでください。"),
    "OPIN_017": Entry(E, "紹介の理由が空", "取組 {value} の紹介の理由が記入されていません。委員会が優良事例として紹介した理由を記入してください。"),
    "OPIN_018": Entry(W, "優良事例の重複", "取組 {value} が優良事例に複数あります（{cells}）。1行にまとめるか、不要な行の記入を消してください（このままなら、それぞれを記録します）。"),
    "OPIN_019": Entry(W, "記入なし", "記録票に委員会意見も優良事例も記入されていません。委員会で意見がなかった年度なら、このままで構いません（意見なしとして記録します）。"),

    # --- a year done by hand, transcribed from its printed report (転記票, history import)
    "HIST_001": Entry(E, "転記票ではない", "転記票の識別情報（非表示シート）が見つかりません{detail}。make history-template で作った転記票に記入してください（シートを別のブックにコピーすると識別情報がなくなります）。"),
    "HIST_002": Entry(E, "別の計画の転記票", "別の計画（{value}）の転記票です。今回の計画（{expected}）で make history-template を実行して作った転記票に、内容を書き写してください。"),
    "HIST_003": Entry(E, "別の年度の転記票", "{value}年度の転記票です（取り込もうとしたのは {expected}年度）。YEAR の指定を確かめるか、make history-template YEAR={expected} で作った転記票に内容を書き写してください。"),
    "HIST_004": Entry(E, "古い様式の転記票", "様式のバージョン {value} の転記票です（現在は {expected}）。make history-template YEAR={year} FORCE=1 で作り直し、内容を書き写してください。"),
    "HIST_005": Entry(W, "転記票の作成後に計画が変更", "転記票を作った後に計画ファイルが変わっています（転記票ID {value}、現在の計画では {expected}）。内容は現在の計画で点検しました。管理番号・取組IDが正しいか確認してください。"),
    "HIST_006": Entry(E, "転記票のシートがない", "転記票のシート「{value}」がありません（削除または名前の変更）。シート名を「{value}」に戻すか、make history-template で作った転記票に内容を書き写してください。"),
    "HIST_007": Entry(E, "計画にない行", "{year}年度の計画にない{field}「{value}」の行に記入があります。転記票の行をそのまま使い（行の追加・並べ替えはしないでください）、計画にある行に記入してください。"),
    "HIST_008": Entry(E, "行の重複", "{field}「{value}」の行が複数あります（{cells}）。1行にまとめてください。"),
    "HIST_009": Entry(E, "記入なし", "転記票に、参考指標の実績値・自己評価・進捗状況のどれも記入されていません。印刷した報告書から、分かる欄だけでも記入してから取り込んでください。"),

    # --- the plan master (計画マスタ) in Excel
    "PLAN_001": Entry(E, "計画マスタのシートがない", "計画マスタのシート「{value}」がありません（削除または名前の変更）。シート名を「{value}」に戻すか、make plan-export で作った計画マスタに内容を書き写してください。"),
    "PLAN_002": Entry(E, "見出しがない", "シート「{sheet}」に「{field}」の{place}がありません。{place}を「{field}」に戻してください（列の並べ替えや、メモの列の追加はかまいません）。"),
    "PLAN_003": Entry(E, "必須項目が空", "「{field}」が未記入です。記入してください。"),
    "PLAN_004": Entry(E, "不明な部署", "「{field}」の部署「{value}」は部署シートにありません。一覧の部署名にするか、部署シートに部署を追加してください（複数の部署は「、」で区切り、最後に「ほか」を付けられます）。"),
    "PLAN_005": Entry(E, "不明な管理番号", "管理番号「{value}」は取組項目シートにありません。一覧から選ぶか、取組項目シートに取組項目を追加してください。"),
    "PLAN_006": Entry(E, "不明な柱", "柱「{value}」は柱シートにありません。一覧から選ぶか、柱シートに柱を追加してください。"),
    "PLAN_007": Entry(E, "不明な節", "節「{value}」は節シートにありません。節シートの節番号（例: 1）を記入してください。"),
    "PLAN_008": Entry(E, "不明な取組ID", "取組ID「{value}」は具体的な取組シートにありません。一覧から選んでください。"),
    "PLAN_009": Entry(E, "重複", "「{field}」の「{value}」が重複しています（{other} と同じ）。1つにまとめるか、別の{field}にしてください。"),
    "PLAN_010": Entry(E, "計画期間外の年度", "「{field}」の {value}年度は計画期間（{start}〜{end}年度）の外です。{start}〜{end} のいずれかを記入してください。"),
    "PLAN_011": Entry(E, "年度の前後の誤り", "「{field}」（{value}年度）が「{other_field}」（{other}年度）より前です。年度を確かめてください。"),
    "PLAN_012": Entry(E, "変更理由が空", "{what}には「{field}」が必要です。理由を記入してください（年度の報告書の「計画の変更」に載ります）。"),
    "PLAN_013": Entry(E, "数値ではない", "「{field}」の「{value}」を数値として読めません。数字だけで記入してください（例: 1234、44.7。値がないときは空欄）。"),
    "PLAN_014": Entry(E, "整数ではない", "「{field}」の「{value}」は整数ではありません。{example} のように数字だけで記入してください。"),
    "PLAN_015": Entry(E, "はい・いいえ以外の値", "「{field}」の「{value}」は使えません。「はい」か「いいえ」を選んでください。"),
    "PLAN_016": Entry(E, "選択肢にない値", "「{field}」の「{value}」は選択肢にありません。{choices} から選んでください。"),
    "PLAN_017": Entry(E, "計画としての誤り", "{problem}（計画ファイルでは {key}）"),
    "PLAN_018": Entry(E, "文字でない値", "「{field}」が日付や時刻として保存されています（{value}）。セルの表示形式を「文字列」にして、入力し直してください。"),
    "PLAN_019": Entry(E, "変更の内容がない", "取組 {value} の変更に、変わる内容がありません（具体的な取組・担当部署・DX の欄が空欄か、前の年度と同じです）。変わる欄を記入するか、この行を削除してください。"),
    "PLAN_020": Entry(E, "具体的な取組がない", "取組項目 {value} に具体的な取組がありません。具体的な取組シートに、この管理番号の行を1つ以上記入してください。"),

    # --- before the first workbooks go out (make check): the config, the plan, the machine
    "SETUP_001": Entry(E, "連絡先が設定例のまま", "{place}の連絡先「{value}」は設定例のままです。調査票・督促文に載るので、実際の連絡先に書き換えてください（config.toml の {field}。書き換えたら、その行の「# 設定例」のコメントも消してください）。"),
    "SETUP_002": Entry(W, "部署の連絡先がない", "{count} 部署の連絡先が config.toml の [department_contacts] にありません（{departments}）。督促リストの連絡先が空欄になります。「\"05\" = \"情報政策課 田中 内線1234\"」の形で書き足してください。"),
    "SETUP_003": Entry(E, "提出期限が過ぎている", "{year}年度の提出期限 {deadline} は、今日（{today}）より前です。調査票に載る期限なので、config.toml の {field} を今後の日付に直してください（この年度だけ変えるなら、[survey] の deadlines に {year} = {example} の形で書けます）。"),
    "SETUP_004": Entry(W, "LibreOffice がない", "LibreOffice（soffice と python3-uno）が見つかりません。報告書の PDF は作られず、目次のページ番号は Word で開いて更新するまで入りません。LibreOffice を入れてください（Windows: https://ja.libreoffice.org/ から、Debian/Ubuntu: apt-get install libreoffice-writer python3-uno fonts-noto-cjk）。別の場所に入れたときは、環境変数 GYOZAI_SOFFICE に soffice の場所を設定してください。"),
    "SETUP_005": Entry(E, "フォルダーに書き込めない", "{what}（config.toml の {field}）のフォルダー {folder} に書き込めません（{cause}）。フォルダーの場所と書き込みの権限を確かめるか、{field} を書き込めるフォルダーに直してください。"),
    "SETUP_006": Entry(E, "計画ファイルの誤り", "計画ファイル {file}: {problem}"),
    "SETUP_007": Entry(W, "受付フォルダーがない", "{year}年度の受付フォルダー {folder} がありません。回答が届き始める前にフォルダーを作り、届いた添付ファイルをそこに保存してください。"),
    "SETUP_008": Entry(E, "設定ファイルの誤り", "{problem}"),
    "SETUP_009": Entry(E, "計画期間外の年度", "{year}年度は計画（{start}〜{end}年度）の期間外です。YEAR= を計画期間の年度にするか、config.toml の plan.file で別の計画ファイルを指定してください。"),
}


_CODE = re.compile(r"^(FILE|IDENT|SUBM|SHEET|ROW|VALUE|RESP|OPIN|HIST|PLAN|SETUP)_\d{3}$")
_ALWAYS_GIVEN = {"field", "value", "department", "file", "sheet", "cell"}


def _checked(catalogue: dict[str, Entry]) -> dict[str, Entry]:
    """The catalogue, refused at import when a code is misspelt or a message cannot be filled in."""
    for code, entry in catalogue.items():
        if not _CODE.match(code):
            raise ValueError(f"finding code {code!r} is not PREFIX_NNN with a known prefix")
        if not isinstance(entry.severity, Severity) or not entry.title or not entry.template:
            raise ValueError(f"finding {code}: severity, title and message are all required")
        for _text, name, _spec, _conv in string.Formatter().parse(entry.template):
            if name is not None and not name.isidentifier():
                raise ValueError(f"finding {code}: placeholder {{{name}}} is not a name")
    return catalogue


CATALOGUE = _checked(CATALOGUE)
# Every code as a name: pipeline code says Code.VALUE_003, so a misspelt code is an AttributeError (and
# tests/test_findings.py reads every module for a named code that is not in the catalogue).
Code = StrEnum("Code", {code: code for code in CATALOGUE})


def placeholders(code: str) -> set[str]:
    """The names a finding's message needs filled in, beyond the ones finding() always gives."""
    return {name for _t, name, _s, _c in string.Formatter().parse(CATALOGUE[code].template) if name} - _ALWAYS_GIVEN


@dataclass(frozen=True)
class Finding:
    """One problem at one place. `cell` is A1 (empty when the finding is about the whole file)."""

    severity: Severity
    code: str
    message: str
    file: str = ""
    department: str = ""
    sheet: str = ""
    cell: str = ""
    field: str = ""
    value: str = ""

    @property
    def title(self) -> str:
        return CATALOGUE[self.code].title

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR


def finding(
    code: str,
    *,
    file: str = "",
    department: str = "",
    sheet: str = "",
    cell: str = "",
    field: str = "",
    value: object = "",
    **params: object,
) -> Finding:
    """Make a Finding from the catalogue; `params` fill the message's placeholders."""
    entry = CATALOGUE[code]
    code = Code(code)
    shown = _shown(value)
    message = entry.template.format(field=field, value=shown, department=department, file=file, sheet=sheet,
                                    cell=cell, **params)
    return Finding(entry.severity, code, message, file, department, sheet, cell, field, shown)


def _shown(value: object) -> str:
    """A value as the user typed it, shortened for a message line."""
    if value is None:
        return ""
    text = str(value)
    return text if len(text) <= 60 else text[:57] + "…"


class Tally:
    """How many errors and warnings a result's `findings` hold (a result of collect, of opinions collect)."""

    findings: list[Finding]

    @property
    def errors(self) -> int:
        return sum(f.is_error for f in self.findings)

    @property
    def warnings(self) -> int:
        return sum(not f.is_error for f in self.findings)


def flatten(findings: list[Finding], keys: list[str]) -> list[tuple]:
    """Findings as tuples of the named attributes, for compact test assertions."""
    return [tuple(getattr(f, k) for k in keys) for f in findings]
