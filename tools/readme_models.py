#!/usr/bin/python3
# readme_models.py [TOP]: regenerate the models section of README.md (between
# "<!-- models: ..." and "<!-- /models -->") from share/models/*/model_card.json,
# so the README says exactly what the cards say.  The cards are written by
# `latentroll train` (training numbers), `latentroll eval --split test` (the
# "test" object, merged in by hand or by tools/ship_model.sh) and
# `latentroll attrs` (attribute experiment, interpolation quality).
#
#   /usr/bin/python3 tools/readme_models.py        # rewrite README.md
#   /usr/bin/python3 tools/readme_models.py --check  # exit 1 if stale
import json
import os
import sys

ATTRS = ["avg_interval", "c_diatonic", "note_density", "note_length", "register",
         "sync_16th", "sync_8th"]
BEGIN = "<!-- models: generated from share/models/*/model_card.json -->"
END = "<!-- /models -->"


def shape(c):
    a = c["arch"]
    mp = a["n_params"] / 1e6
    if a["num_segments"] > 0:
        bars = a["num_segments"]
        return ("hierarchical: bi-LSTM %d per bar then over bars, z %d, "
                "conductor %dx%d, decoder %dx%d, %d bars of %d steps, "
                "%.1fM parameters" % (a["enc_size"], a["z_size"],
                                      a["dec_layers"], a["dec_size"],
                                      a["dec_layers"], a["dec_size"], bars,
                                      a["num_steps"] // bars, mp))
    return ("flat: bi-LSTM %d, z %d, decoder %dx%d, %d steps, "
            "%.1fM parameters" % (a["enc_size"], a["z_size"], a["dec_layers"],
                                  a["dec_size"], a["num_steps"], mp))


def vector_methods(top, name):
    """Each attribute vector's method, from attribute_vecs.json's _meta
    ({} for vectors from before there was a choice)."""
    try:
        with open(os.path.join(top, "share/models", name,
                               "attribute_vecs.json")) as f:
            return json.load(f)["_meta"].get("vector_method", {})
    except (OSError, ValueError, KeyError):
        return {}


def section(top):
    names = sorted(d for d in os.listdir(os.path.join(top, "share/models"))
                   if os.path.isfile(os.path.join(top, "share/models", d,
                                                  "model_card.json")))
    # mel_2bar before mel_16bar: by steps per window
    cards = []
    for n in names:
        with open(os.path.join(top, "share/models", n,
                               "model_card.json")) as f:
            cards.append((n, json.load(f)))
    cards.sort(key=lambda nc: nc[1]["arch"]["num_steps"])
    data = []
    for n, c in cards:
        d = c["data"]
        src = " and ".join("`%s`" % x for x in d["dir"].split(","))
        data.append("`%s` on %s (%d files or tunes, %d giving %d-bar "
                    "windows in a meter of 16 steps per bar: %d train, %d "
                    "valid, %d test windows)" % (
                        n, src, d["files"], d["files_used"],
                        c["arch"]["num_steps"] // 16, d["windows_train"],
                        d["windows_valid"], d["windows_test"]))
    out = [BEGIN]
    out.append(
        "The shipped models were trained here with `latentroll train`: %s. "
        "Files (ABC tunes: \"NAME#X\") are split 90/5/5 by a hash of the "
        "name, so the Nottingham corpus (`../shared/data/nottingham`, 1034 "
        "tunes) keeps one split whatever else is trained beside it; every "
        "number below is measured on Nottingham's held-out test split "
        "(`latentroll eval --split test`, `latentroll attrs`). Accuracies "
        "are per step, as in the paper's Table 1: teacher-forced, and "
        "sampled = argmax decode of the encoder's mu, fully autoregressive. "
        "Slerp Spearman: over 100 random test pairs and an 11-point slerp, "
        "the mean Spearman correlation between slider position and Hamming "
        "distance to A; valid decodes: intermediate decodes with no "
        "note-off outside a note." % "; ".join(data))
    out.append("")
    out.append("| model | shape | weights | steps | test tf-acc | "
               "test sampled-acc | test KL | slerp Spearman | valid decodes |")
    out.append("|---|---|---|---|---|---|---|---|---|")
    for n, c in cards:
        t = c["test"]
        ip = c.get("interpolation", {})
        out.append("| `%s` | %s | %s | %d | %.3f | %.3f | %.0f nats | %s | "
                   "%s |" % (n, shape(c), c["weights_dtype"], c["steps"],
                             t["tf_acc"], t["sampled_acc"], t["kl_nats"],
                             "%.3f" % ip["mean_spearman_position_vs_hamming_to_A"]
                             if ip else "-",
                             "%.0f%%" % (100 * ip["valid_intermediate_share"])
                             if ip else "-"))
    # Issue D's targets on the test split, and the learning curve each
    # model's curve.tsv records (valid split, as training measured it).
    targets = {"mel_2bar": (0.99, 0.97), "mel_16bar": (0.93, 0.85)}
    out.append("")
    out.append("Targets (test split, teacher-forced / sampled) and the "
               "learning curve on the valid split (`curve.tsv`: step, "
               "teacher-forced / sampled accuracy):")
    out.append("")
    for n, c in cards:
        line = "- `%s`" % n
        if n in targets:
            tf, sa = targets[n]
            t = c["test"]
            line += (": target %.2f / %.2f, reached %.3f / %.3f (%s)" %
                     (tf, sa, t["tf_acc"], t["sampled_acc"],
                      "met" if t["tf_acc"] >= tf and t["sampled_acc"] >= sa
                      else "teacher-forced met" if t["tf_acc"] >= tf
                      else "sampled met" if t["sampled_acc"] >= sa
                      else "not met"))
        path = os.path.join(top, "share/models", n, "curve.tsv")
        pts = []
        if os.path.isfile(path):
            with open(path) as f:
                for row in f:
                    v = row.split()
                    if len(v) >= 4:
                        pts.append("%s: %.3f / %.3f" % (v[0], float(v[2]),
                                                        float(v[3])))
        if pts:
            line += "; curve " + ", ".join(pts)
        out.append(line + ".")
    for n, c in cards:
        ae = c.get("attribute_experiment")
        if not ae:
            continue
        rc = ae["relative_change"]
        oo = ae["own_over_max_other"]
        out.append("")
        out.append("Attribute vectors of `%s` (scale 1) added to the mu of "
                   "500 test windows: mean relative change of each attribute "
                   "(rows: vector, columns: attribute); last column: own "
                   "change over the largest other." % n)
        so = ae.get("sd_own_over_max_other")
        if so:
            out[-1] += (" The last column gives the same ratio with each "
                        "change measured in standard deviations of the "
                        "attribute over the unmoved decodes, which does not "
                        "blow up for an attribute whose mean is near 0.")
        db = (ae.get("data_bound") or {}).get("own_over_max_other")
        if db:
            out[-1] += (" The data bound is the same ratio (in standard "
                        "deviations) between the training windows' own "
                        "top and bottom quartiles, with no model: what a "
                        "vector built from those quartiles can carry at "
                        "best; where it is below 3 the paper's 3x target "
                        "is out of reach for such a vector on this corpus.")
        meth = vector_methods(top, n)
        if meth:
            out[-1] += (" Method: `quartile` is the paper's vector (mean "
                        "mu of an attribute's top quartile minus its "
                        "bottom quartile; where the two quartiles share a "
                        "value, as sync_16th's share 0, the windows beyond "
                        "it minus all the windows at it); `partial` regresses mu on all "
                        "seven attributes at once and moves one while the "
                        "others stay, which the data bound does not "
                        "limit; `calibrated` mixes the chosen vectors so "
                        "that, by their effects measured on the valid "
                        "split at scale 2, each moves its own attribute "
                        "and no other; `latentroll attrs` takes for each "
                        "attribute the one nearest its target on the "
                        "valid split.")
        out.append("")
        out.append("| vector | " + " | ".join(ATTRS) + " | own/other |" +
                   (" own/other in sd |" if so else "") +
                   (" data bound |" if db else ""))
        out.append("|---|" + "---|" * (len(ATTRS) + 1 + (1 if so else 0) +
                                       (1 if db else 0)))
        for v in ATTRS:
            cells = []
            if v not in rc:
                continue	# a card from before the attribute existed
            for a in ATTRS:
                s = "%+.3f" % rc[v][a] if a in rc[v] else "-"
                cells.append("**%s**" % s if a == v else s)
            out.append("| %s | %s | %.2f |" % (v, " | ".join(cells), oo[v]) +
                       (" %.2f |" % so[v] if so else "") +
                       (" %.2f |" % db[v] if db else ""))
        sc = c.get("attribute_scales")
        if sc and so and db:
            byscale = {"%g" % ae.get("scale", 1): so}
            byscale.update(sc)
            keys = sorted(byscale, key=float)
            out.append("")
            out.append("The same vectors at the scales the nudges reach: "
                       "own change over the largest other, in standard "
                       "deviations; target 3 where the data bound allows "
                       "it, else 80% of the bound, at the best scale.")
            out.append("")
            out.append("| vector | " + ("method | " if meth else "") +
                       " | ".join("scale %s" % k for k in keys) +
                       " | data bound | target | met |")
            out.append("|---|" + "---|" * (len(keys) + 3 +
                                           (1 if meth else 0)))
            for v in ATTRS:
                best = max(byscale[k][v] for k in keys)
                goal = 3.0 if db[v] >= 3 else 0.8 * db[v]
                out.append("| %s | %s%s | %.2f | %.2f | %s |" % (
                    v, ("%s | " % meth.get(v, "-")) if meth else "",
                    " | ".join("%.2f" % byscale[k][v] for k in keys),
                    db[v], goal, "yes" if best >= goal else "no"))
    out.append("")
    out.append(END)
    return "\n".join(out)


def main():
    args = [a for a in sys.argv[1:] if a != "--check"]
    top = args[0] if args else os.path.join(os.path.dirname(__file__), "..")
    path = os.path.join(top, "README.md")
    with open(path) as f:
        text = f.read()
    i, j = text.find(BEGIN), text.find(END)
    if i < 0 or j < i:
        sys.stderr.write("readme_models.py: %s: no models markers\n" % path)
        return 1
    new = text[:i] + section(top) + text[j + len(END):]
    if "--check" in sys.argv:
        if new != text:
            sys.stderr.write("readme_models.py: %s: models section is stale "
                             "(run tools/readme_models.py)\n" % path)
            return 1
        return 0
    if new != text:
        tmp = path + ".tmp"
        with open(tmp, "w") as f:
            f.write(new)
        os.rename(tmp, path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
