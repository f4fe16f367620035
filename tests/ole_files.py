"""Outlook mail files (.msg) for the tests, written as Outlook lays them out: an OLE compound file (CFB
version 3) whose attachments are storages `__attach_version1.0_#0000000N` holding the file name streams
(PR_ATTACH_LONG_FILENAME `__substg1.0_3707001F`, UTF-16LE) and the data (`__substg1.0_37010102`).

No installed package writes a compound file (olefile only reads, or rewrites a stream in place), so this
writes one by hand, mini stream included: streams under 4096 bytes live in 64-byte mini sectors, as in every
real .msg, so the reader meets the same structure a mail saved from Outlook has.
"""

from __future__ import annotations

import struct

from pipeline.intake.gate import OLE_MAGIC

SECTOR, MINI, CUTOFF = 512, 64, 4096
END, FREE, FAT_SECTOR = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD
STORAGE, STREAM, ROOT = 1, 2, 5


def outlook_msg(subject: str, attachments: dict[str, bytes]) -> bytes:
    """A .msg with `subject` and one attachment storage per (file name → data)."""
    entries: dict[str, bytes | None] = {"__substg1.0_0037001F": subject.encode("utf-16-le")}
    for n, (name, data) in enumerate(attachments.items()):
        storage = f"__attach_version1.0_#{n:08X}"
        entries[storage] = None
        entries[f"{storage}/__substg1.0_3707001F"] = name.encode("utf-16-le")
        entries[f"{storage}/__substg1.0_3704001F"] = name[:8].encode("utf-16-le")
        entries[f"{storage}/__substg1.0_37010102"] = data
    return compound_file(entries)


def compound_file(entries: dict[str, bytes | None]) -> bytes:
    """A compound file of storages (None) and streams (bytes), by path ("storage/stream")."""
    names = ["Root Entry", *entries]
    kinds = [ROOT] + [STORAGE if v is None else STREAM for v in entries.values()]
    parents = [None] + [names.index(p.rpartition("/")[0]) if "/" in p else 0 for p in entries]
    children: dict[int, list[int]] = {}
    for i, parent in enumerate(parents):
        if parent is not None:
            children.setdefault(parent, []).append(i)

    # the mini stream: every small stream in 64-byte mini sectors, chained in the mini FAT
    mini_data, minifat, starts, sizes = b"", [], [END] * len(names), [0] * len(names)
    big: list[tuple[int, bytes]] = []
    for i, value in enumerate(entries.values(), 1):
        if value is None:
            continue
        sizes[i] = len(value)
        if len(value) < CUTOFF:
            if value:
                count = -(-len(value) // MINI)
                starts[i] = len(minifat)
                minifat += [len(minifat) + k + 1 for k in range(count - 1)] + [END]
                mini_data += value.ljust(count * MINI, b"\0")
        else:
            big.append((i, value))

    def sectors(data: bytes) -> int:
        return -(-len(data) // SECTOR)

    directory = b"".join(_entry_bytes(names, kinds, children, i, starts, sizes) for i in range(len(names)))
    minifat_bytes = struct.pack(f"<{len(minifat)}I", *minifat) if minifat else b""
    plan = [("directory", directory), ("minifat", minifat_bytes), ("mini", mini_data)] + [
        (f"stream{i}", value) for i, value in big]
    used = sum(sectors(data) for _, data in plan)
    fat_sectors = 1
    while fat_sectors * (SECTOR // 4) < used + fat_sectors:
        fat_sectors += 1
    fat = [FAT_SECTOR] * fat_sectors
    where: dict[str, int] = {}
    body = b""
    for key, data in plan:
        count = sectors(data)
        if not count:
            where[key] = END
            continue
        where[key] = len(fat)
        fat += [len(fat) + k + 1 for k in range(count - 1)] + [END]
        body += data.ljust(count * SECTOR, b"\0")
    # the root entry points at the mini stream; big streams at their sectors
    starts[0], sizes[0] = where["mini"], len(mini_data)
    for i, _ in big:
        starts[i] = where[f"stream{i}"]
    directory = b"".join(_entry_bytes(names, kinds, children, i, starts, sizes) for i in range(len(names)))
    body = directory.ljust(sectors(directory) * SECTOR, b"\0") + body[sectors(directory) * SECTOR:]
    fat_bytes = struct.pack(f"<{fat_sectors * SECTOR // 4}I", *(fat + [FREE] * (fat_sectors * SECTOR // 4 - len(fat))))
    header = struct.pack("<8s16s5H6s9I", OLE_MAGIC, bytes(16), 0x3E, 3, 0xFFFE, 9, 6, bytes(6),
                         0, fat_sectors, where["directory"] - 0, 0, CUTOFF, where["minifat"],
                         sectors(minifat_bytes), END, 0)
    header += struct.pack("<109I", *range(fat_sectors), *([FREE] * (109 - fat_sectors)))
    # the FAT sectors come first (sectors 0…), then the rest in the order of `plan`
    return header + fat_bytes + body


def _entry_bytes(names, kinds, children, i, starts, sizes) -> bytes:
    """Directory entry `i`: a storage's children are chained by their right siblings (a valid, if lopsided,
    red-black tree with every node black)."""
    encoded = (names[i].rpartition("/")[2] + "\0").encode("utf-16-le")
    kids = children.get(i, [])
    child = kids[0] if kids else FREE
    right = FREE
    for siblings in children.values():
        if i in siblings and siblings.index(i) + 1 < len(siblings):
            right = siblings[siblings.index(i) + 1]
    return struct.pack("<64sHBBIII16sIQQIQ", encoded, len(encoded), kinds[i], 1, FREE, right, child,
                       bytes(16), 0, 0, 0, starts[i], sizes[i])
