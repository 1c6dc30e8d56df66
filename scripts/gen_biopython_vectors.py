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
from Bio.SeqUtils import gc_fraction, seq1, seq3
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
           "count": [], "protein": [], "seq3": [], "seq1": [], "codon_tables": [], "geometry": []}

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

print(json.dumps(vectors, indent=1, sort_keys=True))
