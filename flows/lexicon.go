package flows

import "strings"

// The built-in crisis lexicon, in the pattern language of match.go. It is
// built for recall: a clinician's glance at a false alarm costs little, a
// missed "i wanna die" typed at the blood-pressure question can cost a life.
// Idioms ("dying to know", "that killed me", "my phone died") are listed
// separately: a crisis match inside an idiom does not count.
//
// Changing this file? Run the corpus test (go test -run TestCrisisCorpus -v
// ./flows): it prints recall and false alarms, and fails below 97% recall or
// above 3% false alarms. Do not tune on the held-out part of the corpus.

// Word lists shared by several patterns, spliced in with {name}.
var lexiconWords = map[string]string{
	// ways of hurting oneself, before "myself"
	"selfverbs": "kill*|end|ending|ended|hurt|hurting|hurted|harm|harming|harmed|cut|cutting|shoot|shooting|shot|hang|hanging|hanged|drown|drowning|stab|stabbing|poison|poisoning|starve|starving|strangle|strangling|suffocate|suffocating|murder|off|offing|slit|slice|slicing|burn|burning|burned|burnt|bleed|injure|injuring|destroy|erase|unalive",
	// drugs and medicines, for overdoses
	"drugs": "pill*|tablet*|tabs|medication*|medicine*|troche*|lozenge*|dose|doses|bottle|bottles|pack|packet|ketamine|sleeping|tylenol|advil|xanax|oxy*|fentanyl|heroin|drugs|insulin|benzo*|paracetamol|ibuprofen|acetaminophen|lithium|antidepressant*|sertraline|zoloft|valium|ambien|klonopin|opioid*|percocet|vicodin|aspirin|capsule*|caps|gummies|edibles|seroquel|trazodone|gabapentin|prozac|lexapro|painkillers|pain_killers|morphine|prescription*|script|rx|methadone|suboxone",
	// alcohol, and sedatives that are dangerous with it
	"alcohol":   "alcohol|vodka|whiskey|whisky|wine|beer|beers|drinks|drunk|tequila|rum|gin|shots",
	"sedatives": "xanax|benzo*|opioid*|oxy*|fentanyl|sleeping|ambien|valium|klonopin|ativan|percocet|vicodin|heroin|morphine|methadone|gabapentin|seroquel",
	// Spanish drugs and medicines
	"drogas": "pastilla*|pildora*|tableta*|medicina*|medicamento*|frasco|trociscos|dosis|ketamina|calmantes",
	// people who may hurt a patient
	"people": "he|she|they|someone|somebody|partner|husband|wife|boyfriend|girlfriend|dad|father|stepdad|stepfather|mom|mother|mum|stepmom|brother|sister|son|daughter|roommate|ex|neighbor|neighbour|man|guy|sitter|uncle|cousin|fiance|fiancee|spouse|landlord|stranger|caregiver|carer|boss",
	// what they may do to the patient, before "me"
	"assaults": "hit|hits|hitting|beat|beats|beating|punch*|kick*|chok*|strangl*|hurt|hurts|hurting|attack*|abus*|rape|raped|raping|assault*|slap*|push*|shov*|grab*|stab*|shot|shoots|shooting|threaten*|molest*|smack*|drugged|drugging|touch*|forced|forcing|forces|hurted|kill|kills|killing|choked|bit|bite|bites|tied|trapped|locked|strangled",
}

// builtinLexicon is the screen's own list, group by group.
var builtinLexicon = []struct {
	group    CrisisGroup
	patterns []string
}{
	{GroupSelfHarm, []string{
		// intent, in many words
		"{selfverbs} ~1 myself|self",
		"{selfverbs} my self",
		"selfharm*|selfinjur*",
		"self harm*|injur*|mutilat*|destruct*|hatred",
		"suicid*|sucid*|suicd*|suisid*|suiced*",
		"kill*|end|ending|take|taking ~2 my|own ~1 life",
		"want|wanted|wanting|wish|wishing|ready|need|plan|planning|planned|decided|deserve|try|trying|tried|rather|prefer|going|like|just … die|dead|death|dying",
		"should|could|must|better|deserve|gonna ~2 die|be_dead",
		"wish … never ~2 born|existed|woke|wake",
		"wish … not ~2 alive|born|exist|existed",
		"rather|prefer … not ~2 alive|exist|here|wake",
		"not want|wanting ~2 live|living|alive|exist|existing|wake",
		"not ~3 want|wanting ~3 live|living|alive|exist|existing|wake_up",
		"not want|wanting ~2 be ~1 here|around|alive",
		"not want|wanting ~2 go_on|continue ~2 .|any_more|like|living",
		"not want|wanting ~2 keep ~1 going|living|trying",
		"no|nothing|zero|lost ~2 reason|reasons|point|purpose|will|desire|motivation ~3 live|living|alive|exist|existing|life",
		"nothing ~3 live for",
		"life ~3 not ~1 worth ~1 living|it",
		"not worth living",
		"life ~2 pointless|meaningless|over|hopeless",
		"what is the point ~3 living|life|existing|anything|trying|going_on",
		"point ~2 in ~1 living|existing|going_on",
		"better off ~3 dead|gone|without_me|died|not_around|not_here",
		"happier|better|easier|fine ~2 without me",
		"without me ~3 better|happier|easier",
		"i am ~3 burden",
		"being ~1 burden",
		// goodbyes and "the end"
		"goodbye|bye ~2 everyone|all|forever|world|cruel|everybody",
		"good bye ~2 everyone|all|forever|world|everybody",
		"this is ~2 goodbye|good_bye",
		"my|this|final ~1 last ~1 message|words|goodbye|note|letter",
		"final ~1 goodbye|message|words|note",
		"by the time you read|see|get this",
		"not be ~1 alive|here|around ~2 much_longer|for_long|by_morning",
		"end|ending|ended ~1 it ~1 all|now|tonight|today|soon|for_good",
		"end|ending ~1 everything|things|this ~1 .|tonight|now|for_good|soon",
		"going to ~2 end it|this ~1 .",
		"give|giving|gave up ~2 on ~1 life|living|myself|everything",
		"can not ~2 go_on|keep_going|continue|live|cope|survive|do_this|take_it|handle_it|bear_it|stand_it|handle_this ~2 any_more|like_this|living|.",
		"can not ~2 go_on|live ~1 .",
		"disappear ~2 forever|for_good",
		"sleep ~1 forever",
		"plan|plans|planned ~5 {drugs}|rope|gun|bridge|noose",
		"{drugs} ~3 ready|lined_up|counted",
		"my ~2 funeral",
		"join|be_with ~4 heaven",
		"{drugs} ~2 saved|stashed|hidden|hoarded|saved_up",
		"tired|sick|exhausted|weary ~2 of ~1 living|life|being_alive|existing|being_here|being_me",
		"might|may ~2 as well ~2 dead|die|be_dead",
		"hate|hating ~2 my life|being_alive|living|existing|myself_so_much",
		"want|wanting ~1 out ~1 .|of_life|of_this_life",
		"wrote|writing|written|left ~3 letter|letters|note|notes ~3 everyone|family|kids|goodbye|children",
		"no|not|never ~3 way out",
		"nobody|noone|no_one ~2 would|will|gonna|going ~2 miss|care|notice ~2 me|if",
		"if i ~2 gone|dead|died|not_here|disappeared ~3 better|happier|easier|care",
		"want|wanting|telling me|urge|urges|going|plan*|ready ~3 to end it",
		"drive|driving|crash|crashing ~4 off|into ~3 cliff|bridge|wall|tree|traffic|river",
		"cort* ~3 venas|munecas",
		"want|wanting|wish|wishing ~3 disappear|vanish|stop_existing|not_exist|cease",
		"sleep ~3 never|not ~1 wake",
		"hope|wish|pray|praying ~3 not|never ~1 wake",
		"want|wish ~2 it|everything|all ~2 to ~1 end|stop|be_over",
		// methods and plans
		"jump*|leap* ~4 bridge|roof|building|balcony|cliff|train|window|tower|overpass|ledge",
		"step|walk*|jump* ~2 in front of ~2 train|bus|car|traffic|truck",
		"slit|slash*|slice ~3 wrist*|throat|arm*|vein*",
		"cut|cutting ~2 wrist*|throat|vein*",
		"noose|nooses",
		"rope ~4 neck|hang*",
		"gun ~4 my_head|myself|my_mouth|head",
		"shoot|blow ~3 brains|head_off",
		"bleed ~1 out|to_death",
		"bought|buying|buy|got|have ~3 rope|noose|razor*|blades",
		"saving|saved|stockpil*|hoard*|collecting|collected|stash* ~3 {drugs}",
		"relaps* ~3 cut*|self_harm|harming|selfharm*",
		"cutting ~1 again|myself",
		"urge*|itch ~3 cut|hurt|harm|kill|die",
		"thoughts|thinking|thought|think|ideation|fantasi* ~3 suicid*|dying|killing|ending_it|ending_my|hurting_myself|harming_myself|cutting|not_being_here|not_being_alive",
		"please|just|someone|somebody ~2 kill me",
		"want|wanting|going|wana ~2 kill ~1 .|myself|self",
		"kill ~1 yourself",
		"kill me ~1 now|please|already",
		"want|wanted|wish ~2 dead",
		"i am ~1 done ~2 with ~1 life|living|everything|it_all",
		// Spanish
		"quiero|quisiera|queria|deseo|ganas|prefiero|preferiria|voy|pienso|pensando|decidi … morir*|muerto|muerta|matarme|suicidarme|desaparecer|no_estar|no_existir|no_despertar",
		"me ~1 quiero|voy_a|gustaria ~2 morir|matar|suicidar",
		"me_mato|matarme|suicidarme|ahorcarme|colgarme|cortarme|lastimarme|herirme|tirarme|envenenarme",
		"quitarme ~1 la vida",
		"quitar ~1 la vida",
		"cansad* ~2 de ~1 vivir|la_vida",
		"acabar|terminar ~1 con ~1 mi_vida|todo|conmigo",
		"no quiero ~2 vivir|seguir|existir|despertar|estar_aqui|estar_viva|estar_vivo",
		"no vale la pena ~1 vivir|seguir",
		"no tengo ~3 razon*|motivo*|ganas ~2 vivir|seguir",
		"mejor ~3 muerto|muerta|sin_mi",
		"hacerme ~1 dano|danio",
		"adios ~2 todos|para_siempre|mundo",
		"despedida",
		"ya no ~2 aguanto|puedo_mas",
		"no aguanto mas",
		"pensamientos ~3 suicid*|morir|muerte|matarme|hacerme",
	}},
	{GroupOverdose, []string{
		"overdos*|ovrdos*|overdoz*|0verdos*",
		"i|he|she|they|just|accidentally|accidently|maybe|might|possibly|probably|think|may od",
		"od on|with|ed",
		"took|take|taken|taking|swallow*|ate|eaten|eat|popped|pop|had|used|chewed|downed|did|dissolved ~3 to many|much ~4 {drugs}",
		"took|taken|swallow*|popped|downed|had|ate ~3 to many ~2 .",
		"to many|much ~3 {drugs}",
		"took|take|taken|taking|swallow*|ate|eaten|popped|downed|finished|chewed|used|dissolved|emptied ~3 all|whole|entire|rest|handful|bunch|lots|lot|several|extra|double|triple|fistful|half ~3 {drugs}",
		"took|taken|swallow*|popped|ate|downed ~4 {drugs} ~4 end|die|kill|dead|sleep_forever|not_wake|never_wake",
		"took|taken|swallow*|popped|ate|downed ~2 10|12|15|20|25|30|40|50|60|100|dozen|ten|twenty|thirty|forty|fifty|hundred ~3 {drugs}",
		"double|doubled|triple|tripled ~2 dose|doses|dosed|dosing|up",
		"mixed|mixing|combined|combining ~4 alcohol|vodka|whiskey|benzo*|xanax|opioid*|fentanyl|heroin|oxy*",
		"drank|drink|drinking|swallow*|ate|eaten|ingested|took|taken ~3 bleach|antifreeze|poison|detergent|lye|pesticide|tide_pod*|weed_killer|cleaning|drain_cleaner",
		"poison* ~1 myself|me",
		"poison control",
		"took|taken|had|used|swallowed ~3 3|4|5|6|three|four|five|six ~2 troche*|lozenge*|doses",
		"{drugs} ~2 instead of",
		"took|taken|had|used ~4 twice",
		"took|taken ~2 another|second ~1 troche*|lozenge*",
		"swallow*|took|downed|ate|finished|emptied ~3 bottle|bottles|box|pack|packet|strip ~3 {drugs}",
		"{alcohol} ~6 {sedatives}",
		"{sedatives} ~6 {alcohol}",
		"sobredosis",
		"tome|trague|tomo|tomado|tomaste ~3 todas|todo|muchas|demasiadas|demasiado|monton|frasco|mas ~3 {drogas}",
		"{drogas} ~3 de_mas|demas|de_golpe",
		"todo el frasco",
		"envenen*",
		"bebi|tome|trague ~3 cloro|lejia|veneno|blanqueador",
	}},
	{GroupMedical, []string{
		"chest ~3 fire|pain*|hurt*|tight*|pressure|heavy|heaviness|crush*|squeez*|ache*|aching|burn*|pounding|sore|stabbing",
		"pain*|pressure|tightness|tight|ache*|aching|crushing|heaviness|squeezing ~4 chest",
		"heart attack*",
		"sitting|weight|pressing|elephant|squeezing ~4 chest",
		"face|arm|leg|side|hand ~4 went|gone|going ~1 numb|dead|weak|limp",
		"face ~3 numb|weird|strange|funny|droopy",
		"arm|leg ~3 numb|weak|limp ~3 face",
		"words|speech|talking ~4 wrong|jumbled|garbled|weird|slurred|strange|mixed_up|nonsense",
		"can not ~1 see ~4 eye|suddenly",
		"seeing double",
		"breathing ~3 slow|shallow|weird|irregular|funny|rattling",
		"heart ~4 explode|exploding|going_to_stop",
		"pain|ache|numb* ~4 left arm|jaw",
		"can not ~1 swallow",
		"dizzy|lightheaded|light_headed ~4 fell|fall|falling|collaps*|pass*",
		"no siento ~3 brazo|pierna|cara|piernas",
		"arde ~2 pecho",
		"lost|losing ~2 vision|sight|my_sight",
		"vision|sight ~3 gone|black|went_dark|suddenly",
		"cardiac arrest",
		"heart ~2 stopped|stopping|stop",
		"stroke|strokes",
		"face ~3 droop*|crooked|lopsided|paralyz*|drooping|fallen|falling",
		"droop* ~3 face|mouth|eye",
		"slur*",
		"one side ~3 numb*|weak*|paralyz*|dead|droop*|tingl*",
		"numb*|weak*|paralyz* ~3 one_side|left_side|right_side|half_my",
		"can not ~1 move ~2 arm|leg|legs|side|face|body",
		"can not ~2 speak|talk|get_words",
		"can not ~1 feel ~2 arm|leg|legs|face|body",
		"sudden ~2 weakness|numbness|confusion|blind*|vision_loss|severe_headache",
		"can_not|hard|trouble|struggling|struggle|difficulty|difficult|unable|barely|hardly|problems ~3 breathe|breathing",
		"short* ~1 of breathe",
		"not|stopped|stop|stops|quit ~1 breathing",
		"gasp*",
		"choking|choked ~1 on|.",
		"lips|face|skin|fingers ~3 blue|purple|gray|grey",
		"turning ~1 blue",
		"throat|tongue|lips ~3 swell*|swollen|closing|closed|tight",
		"allergic ~1 reaction|shock",
		"anaphyla*",
		"suffocating",
		"can not ~3 get ~2 air",
		"can not ~1 catch ~2 breathe",
		"seizur*|siezur*|seisur*|seizing|convuls*|epileptic",
		"having|had|have ~2 fit|fits",
		"shaking|jerking|twitching|convulsing ~2 uncontrolab*|all_over",
		"can not stop ~1 shaking|jerking|twitching|vomiting|throwing_up|puking",
		"passed|pass|passing ~1 out",
		"faint*",
		"blacked|black|blacking ~1 out",
		"collaps*",
		"unconscious*|unresponsive|unresponsiv*",
		"lost|losing ~1 consciousness|conscious",
		"{people}|friend|baby|child|kid ~4 not ~1 waking|wake|responding|respond|breathing|moving",
		"can not ~1 wake ~1 him|her|them|my|he|she",
		"not ~1 responding|responsive",
		"do not know ~3 where_i_am|who_i_am|where_i_was|what_day",
		"where am i",
		"can not remember ~3 my_name|who_i_am|where_i_am",
		"confus* ~5 not ~2 clear*|go_away|going_away|stop*|better|improv*|worse",
		"confus* ~3 worse",
		"still ~2 confused|disoriented|confusion",
		"confus*|disorient* ~3 can not ~2 walk|talk|speak|stand|think",
		"trouble|can_not|unable|hard ~2 walking|walk|stand|standing_up",
		"worst|severe|excruciating|unbearable|thunderclap|sudden|splitting|blinding ~2 headache*|head_ache|head_pain|migraine",
		"headache ~3 worst ~2 life|ever",
		"bleeding|bleed ~3 not_stop*|a_lot|heavily|badly|everywhere|so_much",
		"vomit*|throwing_up|threw_up|coughing|coughed|puking|puked ~3 blood",
		"blood ~2 in ~2 vomit|puke",
		"call|calling|called|need|get|send ~2 911|ambulance|paramedic*|emt",
		"911|ambulance",
		"is ~1 emergency",
		"emergency room",
		"i am ~2 dying",
		"feel*|think ~3 dying",
		"going to ~1 die ~2 .",
		"fell|fall|fallen|falling ~4 hit ~2 head",
		"hit ~1 my head",
		"fell ~3 can not ~1 get up",
		"heart ~3 racing ~4 chest|pain|faint|breathe|dizzy|pass",
		// Spanish
		"dolor|presion|opresion|dolores ~3 pecho",
		"pecho ~3 duele|dolor|aprieta|presion",
		"me duele ~2 pecho",
		"no puedo ~2 respirar",
		"me falta ~1 aire|respiracion",
		"ahogo|ahogando|ahogandome",
		"convulsi*|convulsion*",
		"ataque ~3 corazon|epileptico|epilepsia",
		"infarto",
		"derrame ~1 cerebral",
		"desmay*",
		"inconsciente",
		"no ~2 despierta|responde|reacciona|respira",
		"perdio|perdi ~2 conocimiento|sentido",
		"cara ~3 caida|chueca|torcida|dormida",
		"no puedo ~1 hablar|mover",
		"llamen|llama|llamar|llamo ~2 911|ambulancia",
		"ambulancia",
		"me estoy muriendo",
		"me muero",
		"sangr* ~3 mucho|no_para|no_se_detiene",
		"vomit* ~2 sangre",
		"confundid* ~4 no_se|no_sabe|donde_estoy",
	}},
	{GroupHarmFromOthers, []string{
		"{people} ~3 {assaults} ~1 me|us",
		"being|been|getting|got|was|were ~2 abused|beaten|hit|attacked|threatened|raped|stalked|assaulted|choked|strangled|molested|kidnapped|trafficked|drugged",
		"threaten* ~4 kill|hurt|hit|beat|harm|shoot|stab ~1 me|us|my",
		"going|will|wants|trying|tried|try|want ~2 kill|shoot|stab|rape|strangle|choke|beat me|us",
		"not ~2 safe ~2 home|house|here|him|her|them|.",
		"unsafe ~2 home|house|here|with|around",
		"afraid|scared|terrified|fear*|frightened ~2 of ~2 him|her|them|partner|husband|wife|boyfriend|girlfriend|dad|father|ex|mom",
		"afraid|scared|terrified|fear*|frightened ~3 for ~1 my ~1 life|safety",
		"domestic ~1 violence|abuse",
		"abusive|abuser",
		"has|have|pulled|holding|pointing|waving|got ~2 gun|knife|weapon|rifle|pistol",
		"broke|breaking|broken|break ~2 in|into ~2 house|home|apartment|room|flat",
		"someone ~3 in ~1 my|the ~1 house|home|apartment|room",
		"intruder",
		"trying|try|tried ~2 to ~1 get|break|come|force ~1 in|into",
		"rape|raped|raping",
		"sexual* ~1 assault*|abus*",
		"stalk*",
		"kidnap*|hostage",
		"not ~1 let me ~1 leave|go|out",
		"me ~1 pega|pego|golpea|golpeo|golpean|amenaza|amenazo|violo|viola|maltrata|ataco|lastima|lastimo|ahorca|ahorco",
		"me ~1 quiere|va_a|intento|trato_de ~1 matar|pegar|golpear",
		"me ~1 esta ~1 pegando|golpeando|amenazando|lastimando|ahorcando",
		"afraid|scared|terrified ~3 go_home|be_home|going_home",
		"violencia ~2 domestica|familiar",
		"no estoy ~1 segura|seguro|a_salvo",
		"tengo miedo ~3 esposo|pareja|novio|marido|el|ella|mi_vida",
		"abus* ~2 sexual|de_mi",
		"violacion|violada|violaron|violado",
	}},
}

// builtinIdioms are phrases with crisis words that are not crises; a match
// that overlaps one of them does not count.
var builtinIdioms = []string{
	"dying to|for",
	"dying of ~1 laughter|laughing|boredom|embarrassment|curiosity|cringe|thirst|hunger|heat",
	"died|dying|dead ~1 laughing|lol|lmao|haha*|lmfao|rofl",
	"i am ~1 dead ~1 lol|lmao|haha*|lmfao|rofl",
	"is|was|are|were|looks|look|looked|smells|tastes|literally|food|cake|view ~2 to die for",
	"a|an ~2 to die for",
	"killed|killing|kill|slayed ~1 it",
	"that|this|it|which|you|lol|those|these ~1 killed|kills ~1 me",
	"is|are|was|were ~1 killing ~1 me",
	"kill|killing|killed ~1 time",
	"could|would ~1 kill for",
	"dressed to kill",
	"kill two birds",
	"phone|battery|laptop|car|computer|plant|plants|fish|tv|charger|ipad|tablet|screen|light|bulb|conversation|party|wifi|internet|headphones|earbuds|remote|flowers|garden|engine|mood|vibe|watch|tree ~3 die|died|dead|dying",
	"dead ~1 tired|serious|set|end|on|wrong|beat|center|last|asleep|quiet|silent|battery|phone",
	"deadline*",
	"bored|scared|sick|tired|worried|frightened|freezing|starving ~2 to death",
	"die|dye|dyed|dying ~2 hair|my hair",
	"gave|give|giving|almost|nearly|near|mini ~2 heart attack",
	"stroke ~1 of|my|the|his|her|its|their",
	"stroking|stroked|backstroke|breaststroke",
	"suicide ~1 squad|doors|door|mission|run|prevention|awareness",
	"cut|cuts|burned|burnt|burn|hurt|injured ~1 myself ~3 shaving|cooking|chopping|by_accident|accidentally|gardening|at_the_gym|playing|lifting|running|working_out|on_the|on_a|on_my|slicing|falling|tripping",
	"accidentally|accidently|by_accident ~2 cut|burned|burnt|hurt",
	"killing|killed ~1 myself ~1 laughing|with_laughter",
	"overdos* ~2 netflix|sugar|chocolate|tv|cuteness|cute|shopping|memes|candy",
	"pass|passed|passing ~1 out ~2 flyers|papers|leaflets|candy|cards|forms|invitations|invites|samples",
	"grand*|dads|moms|fathers|mothers|uncles|aunts|friends|sisters|brothers|grandpas|grandmas ~1 stroke|heart_attack|seizure|seizures",
	"cat|cats|dog|dogs|pet|pets ~3 seizure|seizures|stroke|died|dying",
	"can not ~1 breathe ~2 lol|haha*|lmao|laughing",
	"last message ~1 was|wrong|meant|typo|sorry|did_not|is_wrong",
	"stop|stopped ~2 breathing ~1 exercises|exercise",
	"breathing ~1 exercise|exercises|techniques|app",
	"my ~1 last ~1 dose|troche",
	"me muero ~1 de ~1 risa|hambre|sueno|ganas|frio|calor|verguenza|aburrimiento|curiosidad",
	"muerto|muerta ~1 de ~1 risa|cansancio|sueno|hambre|miedo|frio",
	"cortarme ~2 pelo|cabello|unas",
	"good morning|night",
	"fit|fits in|into",
	"faint ~1 smell|taste|sound|line|hint|memory|idea|glow|trace",
	"collapsed ~2 tent|building|chair|bed|market|deal",
	"falling ~1 asleep",
	"passed ~1 out ~1 asleep",
	"hit my head ~3 cupboard|door|shelf ~2 lol|haha*|ow",
	"ambulance ~1 chaser",
	"ganas de ~2 comer|ir|ver|dormir|salir",
	"trouble ~2 sleeping|sleep",
	"confused ~4 question|questions|app|bot|form|button|buttons|instructions|mean|meant|asking|schedule",
	"still ~1 confused ~3 about|by ~2 question|questions|app|bot|form|button|instructions|schedule|what",
	"emergency ~1 contact|contacts|number",
	"is ~1 emergency ~1 contact",
	"in case of ~1 emergency",
	"my ~1 dying ~1 plant|phone|battery",
	"dying ~1 plant|plants|battery|phone|flowers",
	"stalking ~2 instagram|facebook|profile|page|ex|feed",
	"kid|child|baby|son|daughter ~3 hits|hit|kicks|kicked|bites|bit ~1 me ~3 lol|haha*|playing|play",
	"wife|husband|partner|boyfriend|girlfriend|mom|dad|mother|father|boss ~3 kill me ~2 if|when|for",
	"she|he|they ~2 going to ~1 kill me ~2 if|when|for ~3 late|forget|forgot|miss|eat|see|finds|find",
	"no reason to ~1 worry|panic|stress|call",
	"dead ~1 plant|phone|battery|tired",
}

// builtinPatterns and builtinIdiomPatterns are the compiled lists.
var (
	builtinPatterns     *patternSet
	builtinIdiomSet     *patternSet
	builtinPatternCount int
)

func init() {
	var ps []pattern
	for _, g := range builtinLexicon {
		for _, src := range g.patterns {
			ps = append(ps, mustCompile(g.group, expandWords(src)))
		}
	}
	builtinPatterns, builtinPatternCount = newPatternSet(ps), len(ps)
	var idioms []pattern
	for _, src := range builtinIdioms {
		idioms = append(idioms, mustCompile("", src))
	}
	builtinIdiomSet = newPatternSet(idioms)
}

// expandWords splices the shared word lists into a pattern.
func expandWords(src string) string {
	for name, words := range lexiconWords {
		src = strings.ReplaceAll(src, "{"+name+"}", words)
	}
	return src
}

func mustCompile(g CrisisGroup, src string) pattern {
	p, err := compilePattern(g, src)
	if err != nil {
		panic("flows: crisis lexicon: " + src + ": " + err.Error())
	}
	return p
}
