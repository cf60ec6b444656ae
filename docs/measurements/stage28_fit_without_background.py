"""Issue #16, session 28: the shipped `guarded` fit — the `dated` features over the rows cache of `zhiku eval
fit-second-stage ... --background-years --rows-cache /tmp/s28s/train_rows_bg.pkl` without the background-years
questions, chosen by `choose_form` (five-fold CV on training folds, the shipped grid) and fitted by `fit_pairwise`."""
import pickle, json, sys
from pathlib import Path
from zhiku.evaluation.answer_selector_fit import load_training_sets
from zhiku.evaluation.second_stage_fit import training_dataset, choose_form, fit_pairwise, FEATURE_SETS
rows, *_ = pickle.loads(open('/tmp/s28s/train_rows_bg.pkl','rb').read())
rows = [r for r in rows if not r.background]
sets = [s for s in load_training_sets(Path('/work/shared/train')) if s.name in ('drcd_dev','cmrc2018_trial')]
qrels = training_dataset(sets, 3000, paragraphs=300, multi_part=400)[0].qrels
names = FEATURE_SETS['dated']
form = choose_form(rows, qrels, features=names, paired=True, first_hit_margins=(None,0.0,1.0,2.0,4.0,float('inf')), guard_depths=(1.0,3.0,5.0,10.0,float('inf')))
pick = form['chosen']; print('chosen', {k: pick.get(k) for k in ('l2','bound','first_hit_margin','guard_depth','mrr@10','ndcg@10')}, 'hybrid', form['hybrid'])
w = fit_pairwise(rows, pick['l2'], features=names)
w.bound = None if pick['bound'] == float('inf') else pick['bound']
w.first_hit_margin = pick.get('first_hit_margin')
if w.first_hit_margin is not None and pick.get('guard_depth', 1) != 1: w.guard_depth = pick['guard_depth']
w.meta.update({'note': 'session 28: dated features, the rows without the background-years questions (not shipped)'})
Path('/tmp/s28s/out/fit_dated_nobg.json').write_text(w.to_json())
print({n: round(float(c),3) for n,c in zip(w.features, w.coef)})
