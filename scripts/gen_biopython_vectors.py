#!/usr/bin/python3
"""Write toolexec/builtin/testdata/biopython_vectors.json: inputs and Biopython's outputs.

The Go built-in tools are tested against these vectors, so their results match
Biopython's. Regenerate with an installed Biopython (Debian: python3-biopython):

    /usr/bin/python3 scripts/gen_biopython_vectors.py > toolexec/builtin/testdata/biopython_vectors.json
"""
import json
import math
import random
import warnings

import Bio
from Bio import BiopythonWarning
from Bio.Data import CodonTable
from Bio.PDB.vectors import Vector, calc_angle, calc_dihedral
from Bio.Seq import Seq
from Bio import motifs
from Bio.SeqUtils import GC123, GC_skew, gc_fraction, nt_search, seq1, seq3
from Bio.PDB.Polypeptide import is_aa, is_nucleic
from Bio.SeqFeature import CompoundLocation, SimpleLocation
from Bio.SeqUtils.ProtParam import ProteinAnalysis

warnings.simplefilter("ignore", BiopythonWarning)
rng = random.Random(20261125)


def rand_seq(alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


def outcome(fn):
    try:
        return {"ok": fn()}
    except Exception as e:  # the error class is part of the expectation
        return {"error": type(e).__name__, "message": str(e)}


vectors = {"biopython": Bio.__version__, "translate": [], "complement": [], "gc_fraction": [],
           "count": [], "protein": [], "seq3": [], "seq1": [], "codon_tables": [], "geometry": [],
           "find": [], "gc123": [], "gc_skew": [], "six_frame": [], "nt_search": [], "residues": [], "locations": [], "motifs": [], "restriction": [], "pairwise2": [], "superimpose": [], "cluster": [], "pca": []}

dna_cases = ["ATGGCCATTGTAATGGGCCGCTGAAAGGGTGCCCGATAG", "atgaaacgcattagcaccaccattaccaccaccattaccacaggtaacggtgcgggctga",
             "AUGGCCAUUGUAAUGGGCCGCUGAAAGGGUGCCCGAUAG", "ATGNNNTAR", "ATGTANRAYSAR", "GCT---GCA", "ATGCATGCAT",
             "TTAATTTAG", "ATGTGATGG", "ATGAAATAA", "ATGAAATGATAA", "CTGAAATAG", "GTGAAATAA", "ATGZZZ", "ATGAAA",
             "TAAATGTGA", "ATGTAGTGATAA", "ATGATAAGGAGATAA", "YTGMGNATH"]
dna_cases += [rand_seq("ACGT", rng.choice([30, 60, 61, 99, 150])) for _ in range(20)]
for s in dna_cases:
    for table in (1, 2, 4, 11, 28):
        for kw in ({}, {"to_stop": True}, {"stop_symbol": "X"}, {"cds": True}, {"gap": "-"}):
            args = dict(kw, table=table)
            vectors["translate"].append({"sequence": s, "args": args,
                                         "result": outcome(lambda: str(Seq(s).translate(**args)))})

for s in ["ATCGRYKMSWBDHVN", "atcgATCGnn", "AUCG", "ACGT" * 10, rand_seq("ACGT", 50), "GATTACA"]:
    vectors["complement"].append({
        "sequence": s,
        "complement": outcome(lambda: str(Seq(s).complement())),
        "reverse_complement": outcome(lambda: str(Seq(s).reverse_complement())),
        "complement_rna": outcome(lambda: str(Seq(s).complement_rna())),
        "reverse_complement_rna": outcome(lambda: str(Seq(s).reverse_complement_rna())),
        "transcribe": str(Seq(s).transcribe()),
        "back_transcribe": str(Seq(s).back_transcribe()),
    })

for s in ["ACTG", "ACTGSSSS", "ACTGN", "GDVV", "acgtNNRYKM", "", "NNNN", rand_seq("ACGTN", 80), rand_seq("ACGTRYSWKMBDHVN", 40)]:
    vectors["gc_fraction"].append({"sequence": s, **{m: gc_fraction(s, ambiguous=m) for m in ("ignore", "weighted", "remove")}})

for s, sub in [("AAAA", "AA"), ("ATGATGATG", "ATG"), ("GGGGGG", "GGG"), ("ACGTACGT", "CG"), ("ACGT", "T"), ("AAAAA", "A")]:
    vectors["count"].append({"sequence": s, "subsequence": sub, "count": Seq(s).count(sub),
                             "count_overlap": Seq(s).count_overlap(sub)})

proteins = ["MAEGEITTFTALTEKFNLPPGNYKKPKLLYCSNGGHFLRILPDGTVDGTRDRSDQHIQLQLSAESVGEVYIKSTETGQYLAMDTDGLLYGSQTPNEECLFLERLEENHYNTYISKKHAEKNWFVGLKKNGSCKRGPRTHYGQKAILFLPLPV",
            "PETER", "INGAR", "W", "ACDEFGHIKLMNPQRSTVWY", "KKKKRRRR", "DDDDEEEE", "CCCC", "MKWVTFISLLLLFSSAYS"]
proteins += [rand_seq("ACDEFGHIKLMNPQRSTVWY", rng.choice([5, 20, 50, 120])) for _ in range(12)]
for p in proteins:
    pa = ProteinAnalysis(p)
    vectors["protein"].append({
        "sequence": p,
        "molecular_weight": pa.molecular_weight(),
        "monoisotopic_weight": ProteinAnalysis(p, monoisotopic=True).molecular_weight(),
        "aromaticity": pa.aromaticity(),
        "instability_index": pa.instability_index(),
        "gravy": pa.gravy(),
        "isoelectric_point": pa.isoelectric_point(),
        "charge_at_ph7": pa.charge_at_pH(7.0),
        "secondary_structure_fraction": list(pa.secondary_structure_fraction()),
        "molar_extinction_coefficient": list(pa.molar_extinction_coefficient()),
        "amino_acids_count": pa.count_amino_acids(),
    })

for p in ["MAIVMGR", "ACDEFGHIKLMNPQRSTVWY", "MAIVMGR*", "BXZJUO", "mai"]:
    vectors["seq3"].append({"sequence": p, "result": seq3(p)})
for p in ["MetAlaIleValMetGlyArg", "MetAlaIleValMetGlyArgTer", "AlaXaaAsxGlxXle", "metala", "AlaFooGly"]:
    vectors["seq1"].append({"sequence": p, "result": seq1(p)})

for tid, t in sorted(CodonTable.unambiguous_dna_by_id.items()):
    vectors["codon_tables"].append({"id": tid, "name": t.names[0], "forward_table": t.forward_table,
                                    "start_codons": t.start_codons, "stop_codons": t.stop_codons})

for _ in range(8):
    pts = [[round(rng.uniform(-10, 10), 3) for _ in range(3)] for _ in range(4)]
    v = [Vector(*p) for p in pts]
    vectors["geometry"].append({"points": pts, "angle": calc_angle(v[0], v[1], v[2]),
                                "dihedral": calc_dihedral(v[0], v[1], v[2], v[3])})

for seq, sub in [("ATGCGATCGATG", "ATG"), ("AAAAA", "AA"), ("MKLLVVS", "LV"), ("ACGT", "GG"), (rand_seq("ACGT", 200), "GA")]:
    for start, end in [(0, None), (3, None), (2, 9)]:
        hi = len(seq) if end is None else end
        positions, i = [], seq.find(sub, start, hi)
        while i != -1:
            positions.append(i)
            i = seq.find(sub, i + 1, hi)
        vectors["find"].append({"sequence": seq, "subsequence": sub, "start": start, "end": end,
                                "first": Seq(seq).find(sub, start, hi), "all": positions})

for seq in ["ATGAAACGCTAG", "atgGCnNNt", "ACG", "ACGTA", rand_seq("ACGTN", 90), "NNNNNN"]:
    vectors["gc123"].append({"sequence": seq, "result": outcome(lambda: list(GC123(seq)))})

for seq, w in [(rand_seq("ACGT", 250), 100), ("GGGGCCCAAT", 3), ("AATTAATT", 4), (rand_seq("ACGTgc", 57), 10)]:
    vectors["gc_skew"].append({"sequence": seq, "window": w, "result": GC_skew(seq, w)})

for seq in ["ATGAAACGCTAGGGATCCAAT", rand_seq("ACGT", 61), rand_seq("ACGT", 62), "ATGCA"]:
    for table in (1, 2, 11):
        rc = str(Seq(seq).reverse_complement())
        frames = {}
        for f in range(3):
            fwd = seq[f:]
            rev = rc[f:]
            frames[str(f + 1)] = str(Seq(fwd[: len(fwd) - len(fwd) % 3]).translate(table))
            frames[str(-(f + 1))] = str(Seq(rev[: len(rev) - len(rev) % 3]).translate(table))
        vectors["six_frame"].append({"sequence": seq, "table": table, "frames": frames})

for seq, sub in [("ATGCGATCGATCGATG", "GATC"), ("AAAAAA", "AA"), ("GAATTCGAGTTC", "GANTTC"), ("ACGTACGT", "RY"), ("ACGT", "TTT")]:
    vectors["nt_search"].append({"sequence": seq, "subsequence": sub, "result": nt_search(seq, sub)})

for res in ["ALA", "gly", "MSE", "SEP", "HOH", "DA", "A", "U", "PSU", "5MC", "ZZZ", "DT", "UNK", "pro"]:
    # Residue names as a Residue object gives them: left-justified to 3 characters.
    name = f"{res:<3s}"
    vectors["residues"].append({"residue": res, "is_aa": is_aa(name), "is_aa_standard": is_aa(name, standard=True),
                                "is_nucleic": is_nucleic(name), "is_nucleic_standard": is_nucleic(name, standard=True)})

target = "ATCGATCGATCGATCGGGCCAATT"
for parts in [[(2, 8, None)], [(3, 10, -1)], [(0, 24, -1)], [(0, 4, 1), (10, 14, 1)], [(0, 4, -1), (10, 14, -1)], [(1, 5, 1), (7, 12, -1), (15, 20, None)]]:
    locs = [SimpleLocation(a, b, strand=st) for a, b, st in parts]
    loc = locs[0] if len(locs) == 1 else CompoundLocation(locs)
    vectors["locations"].append({"sequence": target, "parts": [{"start": a, "end": b, "strand": st} for a, b, st in parts],
                                 "extracted": str(loc.extract(Seq(target)))})

motif_cases = [(["ACGT", "ACGT", "ACTT"], "ACGT"), (["TACAA", "TACGC", "TACAC", "TACCC", "AACCC", "AATGC", "AATGC"], "ACGT"),
               (["ACGU", "AGGU"], "ACGU"), (["MKV", "MRV", "LKV"], "ACDEFGHIKLMNPQRSTVWY"), (["ACGT", "ACG"], "ACGT"), (["ACGT", "ACGN"], "ACGT")]
motif_cases += [([rand_seq("ACGT", 8) for _ in range(rng.randint(2, 9))], "ACGT") for _ in range(12)]
for instances, alphabet in motif_cases:
    def build():
        m = motifs.create(instances, alphabet=alphabet)
        out = {"counts": {k: list(v) for k, v in m.counts.items()}, "consensus": str(m.consensus),
               "anticonsensus": str(m.anticonsensus), "pwm": {k: list(v) for k, v in m.counts.normalize().items()}}
        if alphabet == "ACGT":
            out["degenerate_consensus"] = str(m.degenerate_consensus)
        return out
    vectors["motifs"].append({"instances": instances, "alphabet": alphabet, "result": outcome(build)})

from Bio.Data import IUPACData as _IUPAC
from Bio.Restriction import Restriction as _R
from Bio.Restriction import Restriction_Dictionary as _RD


def plant(site):
    return "".join(rng.choice(_IUPAC.ambiguous_dna_values[c]) for c in site)


by_kind = {}
for bases, names in sorted(_RD.typedict.values()):
    by_kind.setdefault(bases[:4], []).extend(sorted(names))
chosen = sorted({n for names in by_kind.values() for n in names[:6]} | {"EcoRI", "BamHI", "HindIII", "NotI", "BsaI", "BaeI", "SmaI"})
for name in chosen:
    enz = getattr(_R, name)
    site = _RD.rest_dict[name]["site"]
    rc = str(Seq(site).reverse_complement())
    parts = [rand_seq("ACGT", rng.randint(0, 40))]
    for _ in range(rng.randint(1, 4)):
        parts.append(plant(rng.choice([site, rc])))
        parts.append(rand_seq("ACGT", rng.randint(0, 40)))
    for seq in ["".join(parts), plant(site) + rand_seq("ACGT", 30) + plant(site)]:
        case = {"enzyme": name, "sequence": seq, "search": enz.search(Seq(seq))}
        case["catalyse"] = outcome(lambda: [str(f) for f in enz.catalyse(Seq(seq))])
        vectors["restriction"].append(case)

from Bio import pairwise2

pairs = [("ACCGT", "ACG"), ("AGACCGTT", "ACG"), ("GAATTC", "GATTA"), ("ACGT", "ACGT"), ("A", "T"), ("MKLLVLGLL", "MKVLLGL"),
         ("ACGTACGTTT", "TTACG"), ("AAAA", "AA"), ("GCATGCU", "GATTACA")]
pairs += [(rand_seq("ACGT", rng.randint(3, 14)), rand_seq("ACGT", rng.randint(3, 14))) for _ in range(14)]
for a, b in pairs:
    for mode in ("global", "local"):
        for params in ((2, -1, -0.5, -0.1), (1, 0, 0, 0), (5, -4, -10, -0.5), (1, -1, -2, -1)):
            for end_gaps in (True, False):
                if mode == "local" and end_gaps:
                    continue
                kw = {"penalize_end_gaps": end_gaps}
                fn = pairwise2.align.globalms if mode == "global" else pairwise2.align.localms
                alns = fn(a, b, *params, **kw)
                vectors["pairwise2"].append({
                    "a": a, "b": b, "mode": mode, "params": list(params), "penalize_end_gaps": end_gaps,
                    "score": fn(a, b, *params, score_only=True, **kw),
                    "alignments": [[x.seqA, x.seqB, x.score, x.start, x.end] for x in alns],
                    "first": [[x.seqA, x.seqB, x.score, x.start, x.end] for x in fn(a, b, *params, one_alignment_only=True, **kw)],
                })

import numpy
from Bio.SVDSuperimposer import SVDSuperimposer

for n in (3, 4, 5, 8, 12, 4):
    ref = numpy.array([[round(rng.uniform(-10, 10), 3) for _ in range(3)] for _ in range(n)])
    theta = rng.uniform(0, 6.28)
    rot = numpy.array([[numpy.cos(theta), -numpy.sin(theta), 0], [numpy.sin(theta), numpy.cos(theta), 0], [0, 0, 1]])
    moved = ref @ rot + numpy.array([rng.uniform(-5, 5) for _ in range(3)])
    moved += numpy.array([[rng.gauss(0, 0.3) for _ in range(3)] for _ in range(n)])
    if n == 4 and len(vectors["superimpose"]) > 2:  # a planar set
        ref[:, 2] = 0.0
        moved[:, 2] = 1.5
    sup = SVDSuperimposer()
    sup.set(ref, moved)
    sup.run()
    rot_, tran_ = sup.get_rotran()
    vectors["superimpose"].append({"reference": ref.tolist(), "coords": moved.tolist(), "rms": sup.get_rms(),
                                   "init_rms": sup.get_init_rms(), "rotation": rot_.tolist(), "translation": tran_.tolist(),
                                   "transformed": sup.get_transformed().tolist()})

from Bio import Cluster

datasets = [[[1, 2], [1, 4], [4, 2], [4, 4.5]], [[1, 1, 1], [1, 1, 1], [2, 3, 1]], [[0, 0], [0, 0], [0, 0]]]
for _ in range(8):
    rows, cols = rng.randint(3, 9), rng.randint(2, 5)
    if rng.random() < 0.5:
        datasets.append([[float(rng.randint(0, 4)) for _ in range(cols)] for _ in range(rows)])  # ties
    else:
        datasets.append([[round(rng.uniform(-5, 5), 3) for _ in range(cols)] for _ in range(rows)])
for data in datasets:
    arr = numpy.array(data, dtype=float)
    for transpose in (False, True):
        for dist in "ebcauxsk":
            m = Cluster.distancematrix(arr, dist=dist, transpose=transpose)
            case = {"data": data, "dist": dist, "transpose": transpose, "matrix": [list(r) for r in m], "trees": {}}
            for method in "smac":
                tree = Cluster.treecluster(arr, method=method, dist=dist, transpose=transpose)
                case["trees"][method] = [[tree[i].left, tree[i].right, tree[i].distance] for i in range(len(tree))]
            vectors["cluster"].append(case)
    mean, coords, comps, eig = Cluster.pca(arr)
    vectors["pca"].append({"data": data, "column_mean": mean.tolist(), "coordinates": coords.tolist(),
                           "components": comps.tolist(), "eigenvalues": eig.tolist()})

print(json.dumps(vectors, indent=1, sort_keys=True))
