#! /usr/bin/env atf-sh
# sim_test -- upstream-sim over HTTP (curl and jq) against the URL in the
# configuration variable sim_url: the three APIs' paths, credentials,
# shapes and data rules, every fault code, the observation endpoints, and
# C2S's webhooks (subscriptions, deliveries in three shapes, the control
# routes), as docs/SIMULATOR.md specifies them.  Credentials are the
# spec's defaults.  Cases that read the record reset it first, so they do
# not depend on each other.

. "$(atf_get_srcdir)/common.subr"

C2S_AUTH='Authorization: Bearer sim-c2s-token'
DX_USER='sim:sim-pass'
WORK_TOKEN='sim-work-token'
ZEROS=000000000000000000000000

sim_init() {
	SIM=$(atf_config_get sim_url)
}

# get PATH [curl args]: the body to ./body, the status to stdout.
get() {
	local p=$1
	shift
	curl -s -o body -w '%{http_code}' --max-time 20 "$@" "$SIM$p"
}
c2s() {
	local p=$1
	shift
	get "$p" -H "$C2S_AUTH" "$@"
}
dx() {
	get "$1" -u "$DX_USER"
}
work() {
	get "/api?token=$WORK_TOKEN&$1"
}

# expect WANT STATUS: fail unless the status is WANT.
expect() {
	[ "$2" = "$1" ] ||
	    atf_fail "status $2, wanted $1; body: $(head -c 300 body | tr '\n' ' ')"
}

# expect_json FILTER: fail unless jq -e FILTER holds for ./body.
expect_json() {
	jq -e "$1" body >/dev/null ||
	    atf_fail "jq -e '$(echo "$1" | tr '\n\t' '  ')' failed on:" \
	    "$(head -c 400 body | tr '\n' ' ')"
}

reset() {
	expect 200 "$(get /__sim/reset -X POST -d '')"
	expect_json '.reset == true'
}

# A well-spread lead id: the MD5 of "lead$1".
lead_id() {
	printf 'lead%s' "$1" | md5sum | cut -c1-32
}

# truth ID: the simulator's truth about lead ID in ./truth.
truth() {
	expect 200 "$(get "/__sim/truth/$1")"
	mv body truth
}

# lead_ids FROM TO: the lead_id of FROM .. TO-1, one a line.
lead_ids() {
	local i=$1
	while [ $i -lt $2 ]; do
		lead_id $i
		i=$((i + 1))
	done
}

# truths FROM TO: the truths of leads FROM .. TO-1 in ./truths, "ID<tab>
# JSON" a line, in one curl; the ids alone in ./ids.
truths() {
	lead_ids "$1" "$2" >ids
	batch truths.json "" $(sed 's|^|/__sim/truth/|' ids)
	paste ids truths.json >truths
}

# batch OUT OPTION PATH ...: GET each PATH of the simulator with one curl
# (one connection), each answer one JSON line of OUT; OPTION is a line of
# curl's configuration ("user = ..." or "header = ...", "" for none).  A
# status other than 2xx fails the case (its answer is missing).
batch() {
	local out=$1 p n=0
	printf '%s\n' "$2" >batch.cfg
	shift 2
	for p in "$@"; do
		printf 'url = "%s%s"\n' "$SIM" "$p" >>batch.cfg
		n=$((n + 1))
	done
	: >"$out"
	[ $n -eq 0 ] && return 0
	curl -sf --max-time 120 -K batch.cfg | jq -c . >"$out" ||
	    atf_fail "batch $out: curl or jq failed"
	[ "$(wc -l <"$out")" -eq $n ] ||
	    atf_fail "batch $out: $(wc -l <"$out") answers of $n"
}

# lead_of VARIANT: print the first lead_id of that variant (of 600).
lead_of() {
	[ -s truths600 ] || { truths 0 600 && mv truths truths600; }
	awk -F '\t' -v v="$1" 'index($2, "\"variant\":\"" v "\"") {
	    print $1; found = 1; exit } END { exit !found }' truths600 ||
	    atf_fail "no lead of variant $1 among 600"
}

# fnv64 STRING: 64-bit FNV-1a as 16 hex digits (sh arithmetic wraps).
fnv64() {
	local h=-3750763034362895579 b
	for b in $(printf '%s' "$1" | od -An -v -tu1); do
		h=$(( (h ^ b) * 1099511628211 ))
	done
	printf '%016x\n' "$h"
}

# cpf_ok CPF: exit 0 when the two check digits are right.
cpf_ok() {
	case $1 in
	[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]) ;;
	*) return 1 ;;
	esac
	[ "$(cpf_of "${1%??}")" = "$1" ]
}

atf_test_case c2s_lead__shape
c2s_lead__shape_head() {
	atf_set descr "GET /integration/leads/{id} is a JSON:API lead"
	atf_set require.config sim_url
}
c2s_lead__shape_body() {
	sim_init
	local id=$(lead_id 1)
	expect 200 "$(c2s "/integration/leads/$id")"
	expect_json ".data.type == \"lead\" and .data.id == \"$id\""
	expect_json '.data.attributes | (.customer | type == "object" and
	    has("id") and has("name") and has("email")) and
	    (.description | type == "string") and
	    (.product | type == "object") and
	    (.lead_status | (.alias | type == "string") and
	    (.name | type == "string")) and
	    (.created_at | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T")) and
	    (.updated_at | type == "string")'
	atf_check -o match:'^content-type: application/json' \
	    -x "curl -s -o /dev/null -D - -H '$C2S_AUTH' '$SIM/integration/leads/$id' | tr A-Z a-z"
}

atf_test_case c2s_lead__seeded
c2s_lead__seeded_head() {
	atf_set descr "A seeded lead 5eed… is the person of its seed, with" \
	    "the contacts and name its id asks for"
	atf_set require.config sim_url
}
c2s_lead__seeded_body() {
	sim_init
	local a=5eed0001234570001234567890abcdef
	local b=5eed0001234571031234567890abcdef
	local c=5eed00012345720c1234567890abcdef
	local d=5eed0001234570091234567890abcdef
	truth "$a"
	mv truth ta
	atf_check -o inline:'seeded\n' jq -r .variant ta
	atf_check -o inline:'000123457\n' -x "jq -r .phone_person.cpf ta | cut -c1-9"
	atf_check -o inline:'000123457\n' -x "jq -r .email_person.cpf ta | cut -c1-9"
	truth "$b"
	mv truth tb
	# The same person, phone only, named "teste".
	atf_check -o inline:"$(jq -r .phone_person.cpf ta)\n" \
	    jq -r .phone_person.cpf tb
	atf_check -o inline:'null\n' jq -r .email_person tb
	expect 200 "$(c2s "/integration/leads/$b")"
	expect_json '.data.attributes.customer | .name == "teste" and
	    .email == null and (.phone | type == "string")'
	# E-mail only, no name.
	expect 200 "$(c2s "/integration/leads/$c")"
	expect_json '.data.attributes.customer | .name == null and
	    .phone == null and .email == "'"$(jq -r .email ta)"'"'
	# The phone's digits as the name.
	expect 200 "$(c2s "/integration/leads/$d")"
	expect_json '.data.attributes.customer.name | test("^[0-9]{11}$")'
	# Not a seeded lead: a reserved seed, or a letter among the digits.
	truth 5eed9990000010001234567890abcdef
	atf_check -o not-inline:'seeded\n' jq -r .variant truth
	truth 5eed00012345a0001234567890abcdef
	atf_check -o not-inline:'seeded\n' jq -r .variant truth
}

atf_test_case c2s_lead__case_insensitive
c2s_lead__case_insensitive_head() {
	atf_set descr "an uppercase lead id is the same lead"
	atf_set require.config sim_url
}
c2s_lead__case_insensitive_body() {
	sim_init
	local id=$(lead_id 2) up
	up=$(echo "$id" | tr a-f A-F)
	expect 200 "$(c2s "/integration/leads/$id")"
	mv body lower
	expect 200 "$(c2s "/integration/leads/$up")"
	atf_check cmp -s lower body
}

atf_test_case c2s_lead__not_hex_404
c2s_lead__not_hex_404_head() {
	atf_set descr "an id that is not 32 hex characters is 404 Lead not found"
	atf_set require.config sim_url
}
c2s_lead__not_hex_404_body() {
	sim_init
	local bad
	for bad in xyz 0123456789abcdef0123456789abcde \
	    0123456789abcdef0123456789abcdef0 0123456789abcdef0123456789abcdeg; do
		expect 404 "$(c2s "/integration/leads/$bad")"
		atf_check -o inline:'Lead not found' cat body
	done
}

atf_test_case c2s__wrong_token_401
c2s__wrong_token_401_head() {
	atf_set descr "C2S without the right Bearer token is 401 unauthorized"
	atf_set require.config sim_url
}
c2s__wrong_token_401_body() {
	sim_init
	local id=$(lead_id 3)
	expect 401 "$(get "/integration/leads/$id")"
	expect_json '.error == "unauthorized"'
	expect 401 "$(get "/integration/leads/$id" -H 'Authorization: Bearer nope')"
	expect_json '.error == "unauthorized"'
	expect 401 "$(get "/integration/leads/$id/create_message" -X POST \
	    -H 'Authorization: Bearer sim-c2s-tokenX' -d '{}')"
	expect 401 "$(get "/integration/leads/$id" -u "$DX_USER")"
}

atf_test_case c2s_message__201
c2s_message__201_head() {
	atf_set descr "create_message answers 201 with a message id"
	atf_set require.config sim_url
}
c2s_message__201_body() {
	sim_init
	local id=$(lead_id 4)
	expect 201 "$(c2s "/integration/leads/$id/create_message" -X POST \
	    -H 'Content-Type: application/json' \
	    -d "{\"leadId\":\"$id\",\"body\":\"olá\"}")"
	expect_json '.data.type == "message" and (.data.id | type == "string")'
}

atf_test_case c2s_message__bad_body_400
c2s_message__bad_body_400_head() {
	atf_set descr "create_message with a body that is not such JSON is 400"
	atf_set require.config sim_url
}
c2s_message__bad_body_400_body() {
	sim_init
	local id=$(lead_id 5) b
	for b in 'not json' '[]' '{"leadId":"x"}' '{"body":"x"}' \
	    '{"leadId":"x","body":3}'; do
		expect 400 "$(c2s "/integration/leads/$id/create_message" \
		    -X POST -H 'Content-Type: application/json' -d "$b")"
	done
}

atf_test_case c2s_create__id_is_fnv64
c2s_create__id_is_fnv64_head() {
	atf_set descr "POST /integration/leads is 201 with the body's fnv64 " \
	    "as 32 hex; a non-lead body is 400"
	atf_set require.config sim_url
}
c2s_create__id_is_fnv64_body() {
	sim_init
	local b='{"data":{"type":"lead","attributes":{"name":"Zé","type_negotiation":"Compra","source":"sim_test"}}}'
	expect 201 "$(c2s /integration/leads -X POST \
	    -H 'Content-Type: application/json' --data-binary "$b")"
	atf_check -o inline:"0000000000000000$(fnv64 "$b")\n" jq -r .data.id body
	expect 400 "$(c2s /integration/leads -X POST -d '{"data":3}')"
}

atf_test_case c2s_list__perpage
c2s_list__perpage_head() {
	atf_set descr "GET /integration/leads?perpage=N gives N leads (at " \
	    "most 50), newest first"
	atf_set require.config sim_url
}
c2s_list__perpage_body() {
	sim_init
	expect 200 "$(c2s '/integration/leads?perpage=7&sort=-created_at')"
	expect_json '.data | length == 7'
	expect_json '[.data[].id | test("^[0-9a-f]{32}$")] | all'
	expect_json '[.data[].attributes.created_at] | . == (sort | reverse)'
	expect 200 "$(c2s '/integration/leads?perpage=80&sort=-created_at')"
	expect_json '.data | length == 50'
}

atf_test_case c2s_list__pages
c2s_list__pages_head() {
	atf_set descr "the lead list pages (page=P, 1-based) over " \
	    "SIM_LEAD_LIST_SIZE leads with meta, strictly newest first across " \
	    "pages, each lead answering GET with the same created_at, some " \
	    "persons listed twice (same phone), empty past the end"
	atf_set require.config sim_url
}
c2s_list__pages_body() {
	local total last id p
	sim_init
	expect 200 "$(c2s '/integration/leads?perpage=50&page=1&sort=-created_at')"
	expect_json '.meta.page == 1 and .meta.perpage == 50 and
	    (.meta.total | type == "number" and . >= 100)'
	total=$(jq .meta.total body)
	: >listed
	for p in 1 2 3 4; do
		expect 200 "$(c2s "/integration/leads?perpage=50&page=$p&sort=-created_at")"
		expect_json ".meta.page == $p and (.data | length == 50)"
		jq -r '.data[] | [.id, .attributes.created_at,
		    (.attributes.customer.phone // "" | gsub("[^0-9]"; "") |
		    .[-11:])] | @tsv' body >>listed
	done
	# 200 distinct leads, strictly newest first (one offset: as strings).
	[ "$(cut -f1 listed | sort -u | wc -l)" = 200 ] ||
	    atf_fail "ids not distinct: $(cut -f1 listed | sort | uniq -d | head -3)"
	cut -f2 listed | sort -r -c -u ||
	    atf_fail "created_at not strictly newest first"
	# Some person has two leads among the first 200 (1 slot in 8).
	[ "$(cut -f3 listed | grep . | sort | uniq -d | wc -l)" -ge 5 ] ||
	    atf_fail "no phone listed twice: $(cut -f3 listed | head)"
	# A listed lead answers GET with the list's created_at.
	for id in $(sed -n '1p;77p;200p' listed | cut -f1); do
		expect 200 "$(c2s "/integration/leads/$id")"
		expect_json ".data.attributes.created_at ==
		    \"$(grep "^$id" listed | cut -f2)\""
	done
	# The last page is short or full; the one after it is empty.
	last=$(( (total + 49) / 50 ))
	expect 200 "$(c2s "/integration/leads?perpage=50&page=$last")"
	expect_json ".data | length == $((total - (last - 1) * 50))"
	expect 200 "$(c2s "/integration/leads?perpage=50&page=$((last + 1))")"
	expect_json '(.data | length == 0) and .meta.total == '"$total"
	expect 400 "$(c2s '/integration/leads?perpage=50&page=0')"
	expect 400 "$(c2s '/integration/leads?page=x')"
}

atf_test_case diretrix__wrong_auth_401
diretrix__wrong_auth_401_head() {
	atf_set descr "Diretrix without the right Basic credentials is 401"
	atf_set require.config sim_url
}
diretrix__wrong_auth_401_body() {
	sim_init
	expect 401 "$(get /Consultas/Pessoa/Telefone/11987654321)"
	expect_json '.error == "unauthorized"'
	expect 401 "$(get /Consultas/Pessoa/Telefone/11987654321 -u sim:wrong)"
	expect 401 "$(get /Consultas/Pessoa/Email/a%40b.c -H "$C2S_AUTH")"
}

atf_test_case diretrix_phone__finds_person
diretrix_phone__finds_person_head() {
	atf_set descr "Diretrix by phone finds the lead's person"
	atf_set require.config sim_url
}
diretrix_phone__finds_person_body() {
	sim_init
	local id=$(lead_of normal)
	truth "$id"
	expect 200 "$(dx "/Consultas/Pessoa/Telefone/$(jq -r .phone truth)")"
	atf_check -o inline:"$(jq -c '[{nome: .phone_person.name,
	    cpf: .phone_person.cpf}]' truth)\n" jq -c . body
}

atf_test_case diretrix_email__finds_person
diretrix_email__finds_person_head() {
	atf_set descr "Diretrix by e-mail finds the lead's person; a changed " \
	    "name part finds nobody"
	atf_set require.config sim_url
}
diretrix_email__finds_person_body() {
	sim_init
	local id=$(lead_of normal) email
	truth "$id"
	email=$(jq -r .email truth)
	expect 200 "$(dx "/Consultas/Pessoa/Email/$email")"
	atf_check -o inline:"$(jq -c '[{nome: .email_person.name,
	    cpf: .email_person.cpf}]' truth)\n" jq -c . body
	expect 200 "$(dx "/Consultas/Pessoa/Email/x$email")"
	atf_check -o inline:'[]\n' jq -c . body
}

atf_test_case diretrix__nobody_empty
diretrix__nobody_empty_head() {
	atf_set descr "a no_cpf lead's phone and e-mail find nobody: []"
	atf_set require.config sim_url
}
diretrix__nobody_empty_body() {
	sim_init
	local id=$(lead_of no_cpf)
	truth "$id"
	atf_check -o inline:'null null\n' \
	    jq -r '"\(.phone_person) \(.email_person)"' truth
	expect 200 "$(dx "/Consultas/Pessoa/Telefone/$(jq -r .phone truth)")"
	atf_check -o inline:'[]\n' jq -c . body
	expect 200 "$(dx "/Consultas/Pessoa/Email/$(jq -r .email truth)")"
	atf_check -o inline:'[]\n' jq -c . body
	expect 200 "$(dx /Consultas/Pessoa/Telefone/1198765432)"
	atf_check -o inline:'[]\n' jq -c . body
}

atf_test_case diretrix_multi__decoy_first
diretrix_multi__decoy_first_head() {
	atf_set descr "a multi lead's phone gives a decoy first, then the person"
	atf_set require.config sim_url
}
diretrix_multi__decoy_first_body() {
	sim_init
	local id=$(lead_of multi)
	truth "$id"
	atf_check -o inline:'5\n' jq '.phone_person.seed % 11' truth
	expect 200 "$(dx "/Consultas/Pessoa/Telefone/$(jq -r .phone truth)")"
	expect_json 'length == 2'
	atf_check -o inline:"$(jq -c '{nome: .phone_person.name,
	    cpf: .phone_person.cpf}' truth)\n" jq -c '.[1]' body
	jq -e --slurpfile t truth '.[0].nome != $t[0].phone_person.name and
	    .[0].cpf != $t[0].phone_person.cpf' body >/dev/null ||
	    atf_fail "the decoy is not another person: $(cat body)"
	cpf_ok "$(jq -r '.[0].cpf' body)" || atf_fail "decoy CPF invalid"
}

atf_test_case work__wrong_token_401
work__wrong_token_401_head() {
	atf_set descr "the Work API without the right token is 401 Token inválido"
	atf_set require.config sim_url
}
work__wrong_token_401_body() {
	sim_init
	expect 401 "$(get '/api?modulo=cpf&consulta=11144477735')"
	expect_json '.status == 401 and .reason == "Token inválido"'
	expect 401 "$(get '/api?token=nope&modulo=cpf&consulta=11144477735')"
	expect_json '.status == 401 and .reason == "Token inválido"'
}

atf_test_case work_cpf__dossier_fields
work_cpf__dossier_fields_head() {
	atf_set descr "modulo=cpf gives a dossier with every field of DESIGN §3"
	atf_set require.config sim_url
}
work_cpf__dossier_fields_body() {
	sim_init
	local id=$(lead_of normal)
	truth "$id"
	expect 200 "$(work "modulo=cpf&consulta=$(jq -r .phone_person.cpf truth)")"
	expect_json '.status == 200'
	jq -e --slurpfile t truth '.DadosBasicos |
	    .nome == $t[0].phone_person.name and
	    .cpf == $t[0].phone_person.cpf' body >/dev/null ||
	    atf_fail "dossier of another person"
	expect_json '.DadosBasicos | (.dataNascimento |
	    test("^[0-3][0-9]/[01][0-9]/(19|20)[0-9]{2}$")) and
	    (.sexo == "F - FEMININO" or .sexo == "M - MASCULINO") and
	    (.nomeMae | length > 0) and (.nomePai | length > 0) and
	    (.estadoCivil | length > 0)'
	expect_json '.DadosEconomicos | (.renda | test("^[0-9]+,[0-9]{2}$")) and
	    (.poderAquisitivo.poderAquisitivoDescricao | length > 0) and
	    (.poderAquisitivo.faixaPoderAquisitivo |
	    test("^De R\\$ [0-9]+ até R\\$ [0-9]+$")) and
	    (.score | has("scoreCSBA") and has("scoreCSBAFaixaRisco"))'
	jq -e --slurpfile t truth '(.emails | length >= 1 and length <= 4) and
	    .emails[0].email == $t[0].email and
	    (.emails | all(has("email") and has("prioridade") and
	    has("qualidade")))' body >/dev/null || atf_fail "emails"
	jq -e --slurpfile t truth '(.telefones | length >= 1 and
	    length <= 4) and .telefones[0].telefone == $t[0].phone and
	    (.telefones | all(has("telefone") and has("tipo") and
	    has("operadora") and (.whatsapp == "SIM" or .whatsapp == null)))' \
	    body >/dev/null || atf_fail "telefones"
	expect_json '(.enderecos | length >= 1 and length <= 3) and
	    (.enderecos | all(has("tipoLogradouro") and has("logradouro") and
	    has("logradouroNumero") and has("complemento") and
	    has("bairro") and has("cidade") and has("uf") and has("cep")))'
	expect_json '(.empresas | length <= 3) and
	    (.empresas | all(has("cnpj") and has("relacao")))'
}

atf_test_case work_cpf__dossier_properties
work_cpf__dossier_properties_head() {
	atf_set descr "the dossier properties of docs/SIMULATOR.md: long " \
	    "lists (s mod 13 = 4), SEM INFORMAÇÃO and nulls (mod 17 = 6), " \
	    "a blacklisted e-mail (mod 19 = 8), an inactive phone (mod 23 = 9)"
	atf_set require.config sim_url
}
work_cpf__dossier_properties_body() {
	sim_init
	# Seed 1001: none of them.
	expect 200 "$(work "modulo=cpf&consulta=00000100145")"
	expect_json '.DadosBasicos | (.nomePai | length > 0) and
	    .nomePai != "SEM INFORMAÇÃO" and
	    (.municipioNascimento | length > 0) and
	    (.ufNascimento | test("^[A-Z]{2}$"))'
	expect_json '(.emails | length <= 4 and
	    all(.blacklist == "NAO")) and (.telefones | length <= 4 and
	    all(.status == "ATIVO"))'
	# Seed 1005: long lists.
	expect 200 "$(work "modulo=cpf&consulta=00000100579")"
	expect_json '(.emails | length >= 5 and length <= 7) and
	    (.telefones | length >= 6 and length <= 9)'
	# Seed 1009: the father SEM INFORMAÇÃO, the birthplace null.
	expect 200 "$(work "modulo=cpf&consulta=00000100900")"
	expect_json '.DadosBasicos | .nomePai == "SEM INFORMAÇÃO" and
	    has("municipioNascimento") and .municipioNascimento == null and
	    has("ufNascimento") and .ufNascimento == null'
	# Seed 1015: the second e-mail blacklisted, the others not.
	expect 200 "$(work "modulo=cpf&consulta=00000101540")"
	expect_json '.emails[1].blacklist == "SIM" and
	    ([.emails[] | select(.blacklist == "SIM")] | length == 1)'
	# Seed 1021: the last phone inactive, the others active.
	expect 200 "$(work "modulo=cpf&consulta=00000102199")"
	expect_json '.telefones[-1].status == "INATIVO" and
	    (.telefones | length >= 2) and
	    ([.telefones[] | select(.status != "ATIVO")] | length == 1)'
	# Companies: CNPJ, tipoRelacao, relacao, a date or null.
	expect_json '(.empresas | length >= 1) and (.empresas | all(
	    (.cnpj | test("^[0-9]{14}$")) and (.tipoRelacao | length > 0) and
	    (.relacao | length > 0) and has("dataAdmissao") and
	    (.dataAdmissao == null or (.dataAdmissao |
	    test("^[0-3][0-9]/[01][0-9]/(19|20)[0-9]{2}$")))))'
}

atf_test_case work_cpf__not_found_in_200
work_cpf__not_found_in_200_head() {
	atf_set descr "no dossier (s mod 97 = 0) and a CPF with wrong check " \
	    "digits are 404 in a 200 body"
	atf_set require.config sim_url
}
work_cpf__not_found_in_200_body() {
	sim_init
	local id=$(lead_of no_dossier) cpf bad
	truth "$id"
	atf_check -o inline:'0\n' jq '.phone_person.seed % 97' truth
	cpf=$(jq -r .phone_person.cpf truth)
	expect 200 "$(work "modulo=cpf&consulta=$cpf")"
	atf_check -o inline:'{"status":404,"reason":"Document not found."}\n' \
	    jq -c . body
	# The same person is still found by Diretrix.
	expect 200 "$(dx "/Consultas/Pessoa/Telefone/$(jq -r .phone truth)")"
	expect_json ".[0].cpf == \"$cpf\""
	# A CPF with a wrong last digit.
	bad=$(echo "$cpf" | sed 's/.$//')$(( ($(echo "$cpf" | cut -c11) + 1) % 10 ))
	expect 200 "$(work "modulo=cpf&consulta=$bad")"
	expect_json '.status == 404 and .reason == "Document not found."'
}

atf_test_case work_phone__finds_person
work_phone__finds_person_head() {
	atf_set descr "modulo=phone gives the person's CPF, or {\"msg\":[]}"
	atf_set require.config sim_url
}
work_phone__finds_person_body() {
	sim_init
	local id=$(lead_of normal)
	truth "$id"
	expect 200 "$(work "modulo=phone&consulta=$(jq -r .phone truth)")"
	atf_check -o inline:"$(jq -c '{msg: [{cpf_cnpj: .phone_person.cpf,
	    nome: .phone_person.name}]}' truth)\n" jq -c . body
	id=$(lead_of no_cpf)
	truth "$id"
	expect 200 "$(work "modulo=phone&consulta=$(jq -r .phone truth)")"
	atf_check -o inline:'{"msg":[]}\n' jq -c . body
}

atf_test_case work_phone__padded_and_cnpj
work_phone__padded_and_cnpj_head() {
	atf_set descr "a padded lead's phone gives a CNPJ first, then 000+CPF"
	atf_set require.config sim_url
}
work_phone__padded_and_cnpj_body() {
	sim_init
	local id=$(lead_of padded)
	truth "$id"
	atf_check -o inline:'3\n' jq '.phone_person.seed % 7' truth
	expect 200 "$(work "modulo=phone&consulta=$(jq -r .phone truth)")"
	expect_json '.msg | length == 2'
	expect_json '.msg[0].cpf_cnpj | test("^[1-9][0-9]{13}$")'
	atf_check -o inline:"000$(jq -r .phone_person.cpf truth)\n" \
	    jq -r '.msg[1].cpf_cnpj' body
	jq -e --slurpfile t truth '.msg[1].nome == $t[0].phone_person.name' \
	    body >/dev/null || atf_fail "the padded entry is not the person"
}

atf_test_case work__bad_module_400_in_200
work__bad_module_400_in_200_head() {
	atf_set descr "an unknown modulo is Módulo inválido in a 200 body"
	atf_set require.config sim_url
}
work__bad_module_400_in_200_body() {
	sim_init
	expect 200 "$(work 'modulo=rg&consulta=1')"
	atf_check -o inline:'{"status":400,"reason":"Módulo inválido"}\n' \
	    jq -c . body
}

atf_test_case fault_latency
fault_latency_head() {
	atf_set descr "code 01 answers normally after SIM_FAULT_LATENCY_MS " \
	    "(default 2000)"
	atf_set require.config sim_url
}
fault_latency_body() {
	sim_init
	local t
	t=$(curl -s -o body -w '%{time_total}' --max-time 20 -H "$C2S_AUTH" \
	    "$SIM/integration/leads/fa17c201$ZEROS")
	expect_json '.data.id == "fa17c201'$ZEROS'"'
	echo "$t" | awk '{ exit !($1 >= 1.5) }' ||
	    atf_fail "answered in $t s, expected about 2 s"
}

atf_test_case fault_503
fault_503_head() {
	atf_set descr "code 02 is HTTP 503 with a JSON body, on C2S and on " \
	    "the d1 contacts in Diretrix and the Work API phone module"
	atf_set require.config sim_url
}
fault_503_body() {
	sim_init
	expect 503 "$(c2s "/integration/leads/fa17c202$ZEROS")"
	jq . body >/dev/null || atf_fail "503 body is not JSON"
	truth "fa17d102$ZEROS"
	atf_check -o inline:'11999991002 fault-d1-02@example.invalid\n' \
	    jq -r '"\(.phone) \(.email)"' truth
	expect 503 "$(dx /Consultas/Pessoa/Telefone/11999991002)"
	expect 503 "$(dx /Consultas/Pessoa/Email/fault-d1-02@example.invalid)"
	expect 503 "$(work 'modulo=phone&consulta=11999991002')"
	# The d1 person's CPF is not a marker: its dossier reads fine.
	expect 200 "$(work "modulo=cpf&consulta=$(jq -r .phone_person.cpf truth)")"
	expect_json '.status == 200'
}

atf_test_case fault_0a_cpf_503
fault_0a_cpf_503_head() {
	atf_set descr "a 0a lead's contacts find its marker person, whose CPF " \
	    "faults in the Work API cpf module only"
	atf_set require.config sim_url
}
fault_0a_cpf_503_body() {
	sim_init
	local cpf
	truth "fa170a02$ZEROS"
	atf_check -o inline:'11999992002 fault-0a-02@example.invalid\n' \
	    jq -r '"\(.phone) \(.email)"' truth
	cpf=$(jq -r .phone_person.cpf truth)
	atf_check -o match:'^999999002' echo "$cpf"
	cpf_ok "$cpf" || atf_fail "marker CPF $cpf has wrong check digits"
	expect 200 "$(c2s "/integration/leads/fa170a02$ZEROS")"
	expect_json '.data.attributes.customer |
	    .phone == "11999992002" and .email == "fault-0a-02@example.invalid"'
	expect 200 "$(dx /Consultas/Pessoa/Telefone/11999992002)"
	expect_json ".[0].cpf == \"$cpf\""
	jq -e --slurpfile t truth '.[0].nome == $t[0].phone_person.name' \
	    body >/dev/null || atf_fail "Diretrix name is not the lead's"
	expect 200 "$(dx /Consultas/Pessoa/Email/fault-0a-02%40example.invalid)"
	expect_json ".[0].cpf == \"$cpf\""
	expect 503 "$(work "modulo=cpf&consulta=$cpf")"
}

atf_test_case fault_malformed
fault_malformed_head() {
	atf_set descr "code 04 is a 200 with truncated JSON"
	atf_set require.config sim_url
}
fault_malformed_body() {
	sim_init
	expect 200 "$(c2s "/integration/leads/fa17c204$ZEROS")"
	atf_check -o inline:'{"data": {"type": "lead", "id": ' cat body
	atf_check -s not-exit:0 -o ignore -e ignore jq . body
	expect 200 "$(dx /Consultas/Pessoa/Telefone/11999991004)"
	atf_check -s not-exit:0 -o ignore -e ignore jq . body
}

atf_test_case fault_truncated
fault_truncated_head() {
	atf_set descr "code 05 sends less than its Content-Length: curl " \
	    "reports a partial file (exit 18)"
	atf_set require.config sim_url
}
fault_truncated_body() {
	sim_init
	atf_check -s exit:18 -o ignore -e ignore curl -s -S --max-time 20 \
	    -o body -H "$C2S_AUTH" "$SIM/integration/leads/fa17c205$ZEROS"
	atf_check -s exit:18 -o ignore -e ignore curl -s -S --max-time 20 \
	    -o body "$SIM/api?token=$WORK_TOKEN&modulo=phone&consulta=11999991005"
}

atf_test_case fault_403_in_200
fault_403_in_200_head() {
	atf_set descr "code 06 is the Work API's 403 in a 200 body; on C2S " \
	    "it makes no sense and the lead reads normally"
	atf_set require.config sim_url
}
fault_403_in_200_body() {
	sim_init
	local cpf
	truth "fa170a06$ZEROS"
	cpf=$(jq -r .phone_person.cpf truth)
	expect 200 "$(work "modulo=cpf&consulta=$cpf")"
	atf_check -o inline:'{"status":403,"reason":"Token expirado ou módulo não autorizado"}\n' \
	    jq -c . body
	expect 200 "$(work 'modulo=phone&consulta=11999991006')"
	expect_json '.status == 403'
	expect 200 "$(c2s "/integration/leads/fa17c206$ZEROS")"
	expect_json ".data.id == \"fa17c206$ZEROS\""
	expect 200 "$(dx /Consultas/Pessoa/Telefone/11999991006)"
	expect_json 'length == 1'
}

atf_test_case fault_credits
fault_credits_head() {
	atf_set descr "code 07 is not enough credits in a 200 body"
	atf_set require.config sim_url
}
fault_credits_body() {
	sim_init
	local cpf
	truth "fa170a07$ZEROS"
	cpf=$(jq -r .phone_person.cpf truth)
	expect 200 "$(work "modulo=cpf&consulta=$cpf")"
	atf_check -o inline:'{"code":429,"message":"not enough credits"}\n' \
	    jq -c . body
	expect 200 "$(work 'modulo=phone&consulta=11999991007')"
	expect_json '.code == 429 and .message == "not enough credits"'
}

atf_test_case fault_429
fault_429_head() {
	atf_set descr "code 08 is HTTP 429 with Retry-After: 1"
	atf_set require.config sim_url
}
fault_429_body() {
	sim_init
	atf_check -o match:'^retry-after: 1$' -x \
	    "curl -s -D - -o /dev/null -H '$C2S_AUTH' '$SIM/integration/leads/fa17c208$ZEROS' | tr -d '\r' | tr A-Z a-z"
	expect 429 "$(c2s "/integration/leads/fa17c208$ZEROS")"
	expect 429 "$(dx /Consultas/Pessoa/Email/fault-d1-08@example.invalid)"
}

atf_test_case fault_oversized
fault_oversized_head() {
	atf_set descr "code 09 is about 2 MiB of valid JSON"
	atf_set require.config sim_url
}
fault_oversized_body() {
	sim_init
	expect 200 "$(c2s "/integration/leads/fa17c209$ZEROS")"
	[ "$(wc -c <body)" -gt 2000000 ] || atf_fail "only $(wc -c <body) bytes"
	expect_json ".data.id == \"fa17c209$ZEROS\""
	expect 200 "$(dx /Consultas/Pessoa/Telefone/11999991009)"
	[ "$(wc -c <body)" -gt 2000000 ] || atf_fail "only $(wc -c <body) bytes"
	expect_json 'type == "array"'
}

atf_test_case fault_flaky_then_ok
fault_flaky_then_ok_head() {
	atf_set descr "code 0a is 503 the first time a path is called since " \
	    "the last reset, then the normal answer"
	atf_set require.config sim_url
}
fault_flaky_then_ok_body() {
	sim_init
	reset
	expect 503 "$(c2s "/integration/leads/fa17c20a$ZEROS")"
	expect 200 "$(c2s "/integration/leads/fa17c20a$ZEROS")"
	expect_json ".data.id == \"fa17c20a$ZEROS\""
	expect 200 "$(c2s "/integration/leads/fa17c20a$ZEROS")"
	# Another path of the same kind is flaky on its own.
	expect 503 "$(c2s "/integration/leads/fa17c20a${ZEROS%0}1")"
	expect 200 "$(c2s "/integration/leads/fa17c20a${ZEROS%0}1")"
	expect 503 "$(dx /Consultas/Pessoa/Telefone/11999991010)"
	expect 200 "$(dx /Consultas/Pessoa/Telefone/11999991010)"
	reset
	expect 503 "$(c2s "/integration/leads/fa17c20a$ZEROS")"
}

atf_test_case fault_500_html
fault_500_html_head() {
	atf_set descr "code 0b is HTTP 500 with an HTML body"
	atf_set require.config sim_url
}
fault_500_html_body() {
	sim_init
	expect 500 "$(c2s "/integration/leads/fa17c20b$ZEROS")"
	atf_check -o match:'<html>' cat body
	atf_check -o match:'^content-type: text/html' -x \
	    "curl -s -D - -o /dev/null -H '$C2S_AUTH' '$SIM/integration/leads/fa17c20b$ZEROS' | tr A-Z a-z"
}

atf_test_case fault_hang
fault_hang_head() {
	atf_set descr "code 03 hangs past a 1 s client timeout (curl exit 28)"
	atf_set require.config sim_url
	atf_set timeout 120
}
fault_hang_body() {
	sim_init
	atf_check -s exit:28 -o ignore -e ignore curl -s --max-time 1 \
	    -H "$C2S_AUTH" "$SIM/integration/leads/fa17c203$ZEROS"
}

atf_test_case fault_cc_create_message
fault_cc_create_message_head() {
	atf_set descr "a cc lead reads fine but create_message faults, and " \
	    "the refused note is not recorded"
	atf_set require.config sim_url
}
fault_cc_create_message_body() {
	sim_init
	local id=fa17cc02$ZEROS
	reset
	expect 200 "$(c2s "/integration/leads/$id")"
	expect 503 "$(c2s "/integration/leads/$id/create_message" -X POST \
	    -d "{\"leadId\":\"$id\",\"body\":\"refused\"}")"
	expect 200 "$(get "/__sim/notes?lead=$id")"
	atf_check -o inline:'[]\n' jq -c .notes body
}

atf_test_case record__calls_counted_and_reset
record__calls_counted_and_reset_head() {
	atf_set descr "/__sim/calls counts calls by API and path; reset " \
	    "forgets them"
	atf_set require.config sim_url
}
record__calls_counted_and_reset_body() {
	sim_init
	local id=$(lead_id 6)
	reset
	expect 200 "$(c2s "/integration/leads/$id")"
	expect 200 "$(c2s "/integration/leads/$id")"
	expect 200 "$(dx /Consultas/Pessoa/Telefone/11987654321)"
	expect 200 "$(work 'modulo=cpf&consulta=11144477735')"
	expect 401 "$(get "/integration/leads/$id")"
	expect 200 "$(get /__sim/calls)"
	expect_json '.total == 5 and .by_api == {"c2s":3,"diretrix":1,"work":1}'
	expect_json ".calls | map(select(.path == \"/integration/leads/$id\" and
	    .status == 200 and .method == \"GET\" and .api == \"c2s\")) |
	    .[0].count == 2"
	expect_json '.calls | map(select(.api == "c2s" and .status == 401)) |
	    .[0].count == 1'
	expect 200 "$(get '/__sim/calls?api=work')"
	expect_json '.total == 1 and (.calls | length == 1) and
	    .calls[0].path == "/api?modulo=cpf&consulta=11144477735"'
	reset
	expect 200 "$(get /__sim/calls)"
	expect_json '.total == 0 and .calls == [] and
	    .by_api == {"c2s":0,"diretrix":0,"work":0}'
}

atf_test_case record__no_secrets
record__no_secrets_head() {
	atf_set descr "tokens and passwords never appear in what is recorded"
	atf_set require.config sim_url
}
record__no_secrets_body() {
	sim_init
	reset
	expect 200 "$(get "/api?modulo=phone&token=$WORK_TOKEN&consulta=11987654321")"
	expect 200 "$(dx /Consultas/Pessoa/Telefone/11987654321)"
	expect 200 "$(get /__sim/calls)"
	expect_json '.calls | map(.path) | index("/api?modulo=phone&consulta=11987654321") != null'
	atf_check -s exit:1 grep -e "$WORK_TOKEN" -e sim-pass -e \
	    "$(printf %s "$DX_USER" | base64)" -e token body
}

atf_test_case notes__recorded
notes__recorded_head() {
	atf_set descr "/__sim/notes gives the notes posted on a lead, oldest " \
	    "first, with accents and line breaks intact"
	atf_set require.config sim_url
}
notes__recorded_body() {
	sim_init
	local id=$(lead_id 7) other=$(lead_id 8) up
	reset
	expect 201 "$(c2s "/integration/leads/$id/create_message" -X POST \
	    -d "{\"leadId\":\"$id\",\"body\":\"✅ DADOS PESSOAIS\\nNome: João\"}")"
	expect 201 "$(c2s "/integration/leads/$other/create_message" -X POST \
	    -d "{\"leadId\":\"$other\",\"body\":\"other\"}")"
	expect 201 "$(c2s "/integration/leads/$id/create_message" -X POST \
	    -d "{\"leadId\":\"$id\",\"body\":\"second\"}")"
	expect 200 "$(get "/__sim/notes?lead=$id")"
	atf_check -o inline:"{\"lead\":\"$id\",\"notes\":[\"✅ DADOS PESSOAIS\\\\nNome: João\",\"second\"]}\n" \
	    jq -c . body
	up=$(echo "$id" | tr a-f A-F)
	expect 200 "$(get "/__sim/notes?lead=$up")"
	expect_json '.notes | length == 2'
	expect 400 "$(get '/__sim/notes?lead=nope')"
}

atf_test_case truth__consistent_with_apis
truth__consistent_with_apis_head() {
	atf_set descr "for 30 leads, C2S, Diretrix and the Work API agree " \
	    "with /__sim/truth"
	atf_set require.config sim_url
	atf_set timeout 300
}
truth__consistent_with_apis_body() {
	sim_init
	local bad
	# Four curls, one connection each: the truths, the leads, the
	# Diretrix answers for the truths' phones and e-mails (in order).
	truths 100 130
	cut -f2 truths >truth.json
	batch leads.json "header = \"$C2S_AUTH\"" \
	    $(sed "s|^|/integration/leads/|" ids)
	batch phones.json "user = \"$DX_USER\"" $(jq -r 'select(.phone !=
	    null) | "/Consultas/Pessoa/Telefone/" + .phone' truth.json)
	batch emails.json "user = \"$DX_USER\"" $(jq -r 'select(.email !=
	    null) | "/Consultas/Pessoa/Email/" + .email' truth.json)
	[ "$(wc -l <leads.json)" -eq 30 ] || atf_fail "not 30 leads"
	# Every disagreement, one line each; the Diretrix answers are taken
	# in the truths' order by two cursors.
	bad=$(jq -rn --slurpfile t truth.json --slurpfile l leads.json \
	    --slurpfile p phones.json --slurpfile e emails.json '
	def msg($i; $m): "\($l[$i].data.id): \($m)";
	reduce range(0; $t | length) as $i ({p: 0, e: 0, bad: [], n: 0};
	    $t[$i] as $tr | $l[$i].data.attributes.customer as $c |
	    .n += 1 |
	    (if $c.email != $tr.email then .bad += [msg($i; "e-mail")]
	     else . end) |
	    (if $tr.phone == null then
		(if $c | has("phone") then .bad += [msg($i; "phone present")]
		 else . end)
	     else
		($c.phone | tostring | gsub("[^0-9]"; "")) as $d |
		(if $d != $tr.phone and $d != "55" + $tr.phone then
		    .bad += [msg($i; "phone \($d) is not \($tr.phone)")]
		 else . end) |
		$p[.p] as $a | .p += 1 |
		(if (if $tr.phone_person == null then $a == [] else
		    $a[-1].cpf == $tr.phone_person.cpf and
		    $a[-1].nome == $tr.phone_person.name end) | not
		 then .bad += [msg($i; "phone lookup")] else . end)
	     end) |
	    (if $tr.email == null then . else
		$e[.e] as $a | .e += 1 |
		(if (if $tr.email_person == null then $a == [] else
		    $a == [{nome: $tr.email_person.name,
		    cpf: $tr.email_person.cpf}] end) | not
		 then .bad += [msg($i; "e-mail lookup")] else . end)
	     end) |
	    (if ($tr.variant == "null_name" and $c.name != null) or
		($tr.variant == "split" and
		 $tr.phone_person.cpf == $tr.email_person.cpf) or
		(($tr.variant | IN("normal", "multi", "padded", "no_dossier",
		 "abbrev")) and $tr.phone_person != $tr.email_person)
	     then .bad += [msg($i; "variant \($tr.variant)")] else . end)) |
	if .p != ($p | length) or .e != ($e | length) or .n != 30 then
	    .bad += ["\(.n) leads, \(.p) phones, \(.e) e-mails checked"]
	else . end | .bad[]') || atf_fail "jq failed"
	[ -z "$bad" ] || atf_fail "$(echo "$bad" | head -5 | tr '\n' ';')"
}

atf_test_case data__deterministic
data__deterministic_head() {
	atf_set descr "the same request gives a byte-identical answer"
	atf_set require.config sim_url
}
data__deterministic_body() {
	sim_init
	local id=$(lead_id 9) p
	truth "$id"
	for p in "/integration/leads/$id" '/integration/leads?perpage=50'; do
		expect 200 "$(c2s "$p")"
		mv body one
		expect 200 "$(c2s "$p")"
		atf_check cmp -s one body
	done
	id=$(lead_of normal)
	truth "$id"
	p="modulo=cpf&consulta=$(jq -r .phone_person.cpf truth)"
	expect 200 "$(work "$p")"
	mv body one
	expect 200 "$(work "$p")"
	atf_check cmp -s one body
	expect 200 "$(dx "/Consultas/Pessoa/Telefone/$(jq -r .phone truth)")"
	mv body one
	expect 200 "$(dx "/Consultas/Pessoa/Telefone/$(jq -r .phone truth)")"
	atf_check cmp -s one body
}

atf_test_case data__no_cpf_rate_about_10_percent
data__no_cpf_rate_about_10_percent_head() {
	atf_set descr "of 400 leads, between 5 and 15 % are no_cpf, and every " \
	    "variant occurs"
	atf_set require.config sim_url
	atf_set timeout 300
}
data__no_cpf_rate_about_10_percent_body() {
	sim_init
	truths 1000 1400
	cut -f2 truths | jq -r .variant >variants
	[ "$(grep -c . variants)" -eq 400 ] || atf_fail "not 400 answers"
	atf_check -o match:'^ok' awk '
	    $1 == "no_cpf" { n++ } END { print (n >= 20 && n <= 60 ? "ok " : "bad ") n }' variants
	for v in no_cpf split null_email missing_phone multi padded \
	    no_dossier null_name abbrev normal; do
		grep -qx "$v" variants || atf_fail "no $v lead among 400"
	done
}

atf_test_case cpf__check_digits_valid
cpf__check_digits_valid_head() {
	atf_set descr "the CPFs of 40 leads' persons have valid check digits"
	atf_set require.config sim_url
	atf_set timeout 300
}
cpf__check_digits_valid_body() {
	sim_init
	local cpf n=0
	# The checker itself rejects a wrong digit.
	cpf_ok 11144477735 || atf_fail "cpf_ok rejects a valid CPF"
	cpf_ok 11144477736 && atf_fail "cpf_ok accepts an invalid CPF"
	truths 200 240
	for cpf in $(cut -f2 truths | jq -r '.phone_person.cpf?,
	    .email_person.cpf? | select(. != null)'); do
		cpf_ok "$cpf" || atf_fail "invalid CPF $cpf"
		n=$((n + 1))
	done
	[ $n -ge 40 ] || atf_fail "only $n CPFs checked"
}

atf_test_case routes__unknown_404_wrong_method_405
routes__unknown_404_wrong_method_405_head() {
	atf_set descr "an unknown path is 404, a wrong method 405, both JSON"
	atf_set require.config sim_url
}
routes__unknown_404_wrong_method_405_body() {
	sim_init
	expect 404 "$(get /no/such/path)"
	expect_json '.error | type == "string"'
	expect 405 "$(get /__sim/reset)"
	expect_json '.error | type == "string"'
	expect 405 "$(c2s "/integration/leads/$(lead_id 1)" -X DELETE)"
}

# Webhooks (DESIGN.md §11.1).  Each case subscribes receivers of its own:
# /__sim/echo on the simulator itself, with a tag of the case and a secret
# token in the query; its cleanup unsubscribes them, since the simulator
# serves the whole suite.

TIME_RE='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z$'

hook_init() {
	sim_init
	TAG=$(rand_id | cut -c1-12)
	SECRET=hooksecret$(rand_id | cut -c1-16)
}

# hook_url NAME [QUERY]: a receiver of this case.
hook_url() {
	echo "$SIM/__sim/echo?case=$TAG-$1${2:+&$2}&token=$SECRET"
}

# hook_sub ACTION URL [SHAPE]: subscribe (remembered for the cleanup);
# the status to stdout.
hook_sub() {
	local b
	b=$(jq -nc --arg a "$1" --arg u "$2" --arg s "${3:-}" \
	    '{hook_url: $u, hook_action: $a} +
	    if $s == "" then {} else {shape: $s} end')
	printf '%s\n' "$b" >>subscribed
	c2s /integration/leads/subscribe -X POST -d "$b"
}

# hook_unsub ACTION URL: unsubscribe; the status to stdout.
hook_unsub() {
	c2s /integration/leads/unsubscribe -X POST -d "$(jq -nc \
	    --arg a "$1" --arg u "$2" '{hook_url: $u, hook_action: $a}')"
}

# The cleanup of every webhook case: unsubscribe what it subscribed.
hooks_cleanup() {
	local b
	[ -r subscribed ] || return 0
	SIM=$(atf_config_get sim_url)
	while IFS= read -r b; do
		curl -s -o /dev/null --max-time 10 -H "$C2S_AUTH" -X POST \
		    -d "$b" "$SIM/integration/leads/unsubscribe"
	done <subscribed
}

# echoes NAME: the bodies receiver NAME of this case got, in order, as an
# array in ./echoes.
echoes() {
	expect 200 "$(get /__sim/echo)"
	jq --arg c "case=$TAG-$1" '[.echoes[] | select((.query // "") |
	    split("&") | any(.[]; . == $c)) | .body]' body >echoes
}

# expect_echoes FILTER: fail unless jq -e FILTER holds for ./echoes.
expect_echoes() {
	jq -e "$1" echoes >/dev/null ||
	    atf_fail "jq -e '$(echo "$1" | tr '\n\t' '  ')' failed on:" \
	    "$(head -c 600 echoes | tr '\n' ' ')"
}

# deliveries LEAD: GET /__sim/deliveries?lead=LEAD into ./body.
deliveries() {
	expect 200 "$(get "/__sim/deliveries?lead=$1")"
}

# The lead's attributes as GET /integration/leads/{id} has them, less
# updated_at, in ./attrs.
lead_attrs() {
	expect 200 "$(c2s "/integration/leads/$1")"
	jq '.data.attributes | del(.updated_at)' body >attrs
}

atf_test_case hooks_subscribe__refusals cleanup
hooks_subscribe__refusals_head() {
	atf_set descr "subscribe: 401 without the token, 422 for an unknown " \
	    "hook_action, 400 for a body without an http(s) hook_url or " \
	    "with an unknown shape; nothing is subscribed"
	atf_set require.config sim_url
}
hooks_subscribe__refusals_body() {
	hook_init
	local u=$(hook_url r) b
	b=$(jq -nc --arg u "$u" '{hook_url: $u, hook_action: "on_create_lead"}')
	printf '%s\n' "$b" >subscribed
	expect 401 "$(get /integration/leads/subscribe -X POST -d "$b")"
	expect_json '.error == "unauthorized"'
	expect 401 "$(get /integration/leads/subscribe -X POST -d "$b" \
	    -H 'Authorization: Bearer wrong')"
	expect 401 "$(get /integration/leads/unsubscribe -X POST -d "$b")"
	for a in on_delete_lead '' ON_CREATE_LEAD; do
		expect 422 "$(hook_sub "$a" "$u")"
		atf_check -o inline:'{"success":false,"msg":"hook_action not found"}\n' \
		    jq -c . body
		expect 422 "$(hook_unsub "$a" "$u")"
		expect_json '. == {success: false, msg: "hook_action not found"}'
	done
	expect 422 "$(c2s /integration/leads/subscribe -X POST \
	    -d "{\"hook_url\":\"$u\"}")"
	for b in '' '[1]' '"x"' 'not json' '{"hook_action":"on_create_lead"}' \
	    '{"hook_url":5,"hook_action":"on_create_lead"}' \
	    '{"hook_url":"ftp://example.com/x","hook_action":"on_create_lead"}' \
	    '{"hook_url":"http://","hook_action":"on_create_lead"}' \
	    '{"hook_url":"http://a b/","hook_action":"on_create_lead"}' \
	    '{"hook_url":"example.com/x","hook_action":"on_create_lead"}'; do
		expect 400 "$(c2s /integration/leads/subscribe -X POST -d "$b")"
		expect_json '.success == false and (.msg | type == "string" and
		    length > 0) and (keys == ["msg", "success"])'
	done
	expect 400 "$(hook_sub on_create_lead "$u" xml)"
	expect_json '.success == false'
	expect 200 "$(get /__sim/hooks)"
	expect_json "[.hooks[].hook_url | select(contains(\"$TAG\"))] == []"
}
hooks_subscribe__refusals_cleanup() {
	hooks_cleanup
}

atf_test_case hooks_subscribe__idempotent cleanup
hooks_subscribe__idempotent_head() {
	atf_set descr "subscribe and unsubscribe are idempotent, keyed by " \
	    "hook_url and hook_action; /__sim/hooks lists them masked"
	atf_set require.config sim_url
}
hooks_subscribe__idempotent_body() {
	hook_init
	local u=$(hook_url i) v=$(hook_url j)
	expect 200 "$(hook_sub on_create_lead "$u")"
	atf_check -o inline:'{"success":true,"msg":"Hook subscribed","hook_action":"on_create_lead"}\n' \
	    jq -c . body
	expect 200 "$(hook_sub on_create_lead "$u" rust)"
	expect 200 "$(hook_sub on_close_lead "$u" ts)"
	expect 200 "$(hook_sub on_create_lead "$v")"
	expect 200 "$(get /__sim/hooks)"
	jq --arg t "$TAG" '[.hooks[] | select(.hook_url | contains($t))]' \
	    body >mine
	atf_check -o inline:"[{\"hook_url\":\"$SIM/__sim/echo?case=$TAG-i&token=***\",\"hook_action\":\"on_create_lead\",\"shape\":\"rust\"},{\"hook_url\":\"$SIM/__sim/echo?case=$TAG-i&token=***\",\"hook_action\":\"on_close_lead\",\"shape\":\"ts\"},{\"hook_url\":\"$SIM/__sim/echo?case=$TAG-j&token=***\",\"hook_action\":\"on_create_lead\",\"shape\":\"jsonapi\"}]\n" \
	    jq -c . mine
	expect 200 "$(hook_unsub on_create_lead "$u")"
	atf_check -o inline:'{"success":true,"msg":"Hook unsubscribed"}\n' \
	    jq -c . body
	expect 200 "$(hook_unsub on_create_lead "$u")"
	expect_json '. == {success: true, msg: "Hook unsubscribed"}'
	expect 200 "$(hook_unsub on_update_lead "$(hook_url never)")"
	expect 200 "$(get /__sim/hooks)"
	expect_json "[.hooks[] | select(.hook_url | contains(\"$TAG\")) |
	    [(.hook_url | test(\"case=$TAG-j\")), .hook_action]] ==
	    [[false, \"on_close_lead\"], [true, \"on_create_lead\"]]"
	# The calls are recorded by path only: no hook URL, no token.
	expect 200 "$(get '/__sim/calls?api=c2s')"
	expect_json '[.calls[] | select(.path == "/integration/leads/subscribe"
	    and .status == 200)] | length == 1'
	atf_check -s exit:1 grep -e "$SECRET" -e "$TAG" body
}
hooks_subscribe__idempotent_cleanup() {
	hooks_cleanup
}

atf_test_case hooks_deliver__three_shapes cleanup
hooks_deliver__three_shapes_head() {
	atf_set descr "POST /__sim/leads delivers on_create_lead before " \
	    "answering, in each subscription's shape (jsonapi by default), " \
	    "the lead's attributes as GET answers them with a fresh updated_at"
	atf_set require.config sim_url
}
hooks_deliver__three_shapes_body() {
	hook_init
	local id=$(lead_id 4242) n
	expect 200 "$(hook_sub on_create_lead "$(hook_url rust)" rust)"
	expect 200 "$(hook_sub on_create_lead "$(hook_url ts)" ts)"
	expect 200 "$(hook_sub on_create_lead "$(hook_url jsonapi)")"
	expect 200 "$(hook_sub on_update_lead "$(hook_url upd)" rust)"
	expect 200 "$(get /__sim/leads -X POST -d "{\"id\":\"$id\"}")"
	expect_json ".lead_id == \"$id\""
	expect_json "[.deliveries[] | select(.hook_url | contains(\"$TAG\")) |
	    [.hook_url, .shape, .status, .answer]] ==
	    [[\"$SIM/__sim/echo?case=$TAG-rust&token=***\", \"rust\", 200, \"{\\\"received\\\":true}\"],
	     [\"$SIM/__sim/echo?case=$TAG-ts&token=***\", \"ts\", 200, \"{\\\"received\\\":true}\"],
	     [\"$SIM/__sim/echo?case=$TAG-jsonapi&token=***\", \"jsonapi\", 200, \"{\\\"received\\\":true}\"]]"
	lead_attrs "$id"
	echoes rust
	expect_echoes 'length == 1 and (.[0] | keys == ["attributes",
	    "hook_action", "id"])'
	expect_echoes ".[0].id == \"$id\" and .[0].hook_action == \"on_create_lead\""
	jq '.[0].attributes' echoes >rust.attrs
	echoes ts
	expect_echoes 'length == 1 and (.[0] | keys == ["hook_action", "lead"])
	    and (.[0].lead | keys == ["attributes", "id", "internal_id"])'
	expect_echoes ".[0].lead.id == \"$id\" and
	    .[0].hook_action == \"on_create_lead\" and
	    (.[0].lead.internal_id | type == \"number\" and . == floor and . > 0)"
	jq '.[0].lead.attributes' echoes >ts.attrs
	echoes jsonapi
	expect_echoes 'length == 1 and (.[0] | keys == ["data", "hook_action"])
	    and (.[0].data | keys == ["attributes", "id", "type"])'
	expect_echoes ".[0].data.id == \"$id\" and .[0].data.type == \"lead\"
	    and .[0].hook_action == \"on_create_lead\""
	jq '.[0].data.attributes' echoes >jsonapi.attrs
	# The same attributes in the three, GET's but for updated_at.
	for n in rust ts jsonapi; do
		jq -e --arg re "$TIME_RE" '.updated_at | test($re)' $n.attrs \
		    >/dev/null || atf_fail "$n: updated_at: $(jq .updated_at $n.attrs)"
		jq -e --slurpfile a attrs 'del(.updated_at) == $a[0]' $n.attrs \
		    >/dev/null || atf_fail "$n: not GET's attributes"
	done
	atf_check cmp -s rust.attrs ts.attrs
	atf_check cmp -s rust.attrs jsonapi.attrs
	# The on_update_lead hook got nothing.
	echoes upd
	expect_echoes 'length == 0'
	# Each delivery recorded, in order.
	deliveries "$id"
	jq --arg t "$TAG" '[.deliveries[] | select(.hook_url | contains($t))]' \
	    body >mine
	jq -e --arg re "$TIME_RE" --arg id "$id" 'length == 3 and
	    map(.shape) == ["rust", "ts", "jsonapi"] and
	    all(.[]; .lead == $id and .hook_action == "on_create_lead" and
	    .status == 200 and .answer == "{\"received\":true}" and
	    (.hook_url | endswith("&token=***")) and
	    (.updated_at | test($re)) and (.time | test($re))) and
	    (map(.updated_at) | unique | length == 1)' mine >/dev/null ||
	    atf_fail "deliveries: $(cat mine)"
	# A random id when none is given; a bad id or shape is refused.
	expect 200 "$(get /__sim/leads -X POST -d '{}')"
	expect_json '.lead_id | test("^[0-9a-f]{32}$")'
	expect 400 "$(get /__sim/leads -X POST -d '{"id":"xyz"}')"
	expect_json '.error | type == "string"'
	expect 400 "$(get /__sim/leads -X POST -d '{"shape":"xml"}')"
	expect 400 "$(get /__sim/leads -X POST -d '[]')"
}
hooks_deliver__three_shapes_cleanup() {
	hooks_cleanup
}

atf_test_case hooks_deliver__update_close cleanup
hooks_deliver__update_close_head() {
	atf_set descr "/__sim/leads/{id}/update and /close deliver " \
	    "on_update_lead and on_close_lead, a per-call shape overrides " \
	    "the subscription's, times increase; a receiver's status and " \
	    "answer are recorded, 0 when nothing answers"
	atf_set require.config sim_url
}
hooks_deliver__update_close_body() {
	hook_init
	local id=$(lead_id 4343)
	expect 200 "$(hook_sub on_update_lead "$(hook_url a)" rust)"
	expect 200 "$(hook_sub on_close_lead "$(hook_url a)" rust)"
	expect 200 "$(hook_sub on_close_lead "$(hook_url no status=422)" ts)"
	expect 200 "$(hook_sub on_close_lead \
	    "http://127.0.0.1:1/hook?case=$TAG-down&token=$SECRET")"
	expect 200 "$(get "/__sim/leads/$id/update" -X POST -d '')"
	expect_json ".lead_id == \"$id\" and ([.deliveries[] |
	    select(.hook_url | contains(\"$TAG\")) | [.shape, .status]] ==
	    [[\"rust\", 200]])"
	expect 200 "$(get "/__sim/leads/$id/update" -X POST -d '{"shape":"ts"}')"
	expect 200 "$(get "/__sim/leads/$(echo "$id" | tr a-f A-F)/close" \
	    -X POST -d '{"shape":"jsonapi"}')"
	expect_json ".lead_id == \"$id\" and ([.deliveries[] |
	    select(.hook_url | contains(\"$TAG\")) | [.hook_url, .shape,
	    .status]] == [[\"$SIM/__sim/echo?case=$TAG-a&token=***\",
	    \"jsonapi\", 200], [\"$SIM/__sim/echo?case=$TAG-no&status=422&token=***\",
	    \"jsonapi\", 422], [\"http://127.0.0.1:1/hook?case=$TAG-down&token=***\",
	    \"jsonapi\", 0]])"
	expect_json '.deliveries[] | select(.status == 0) | .answer == ""'
	echoes a
	expect_echoes 'length == 3 and (.[0] | keys == ["attributes",
	    "hook_action", "id"]) and .[0].hook_action == "on_update_lead"
	    and (.[1] | keys == ["hook_action", "lead"]) and
	    .[1].hook_action == "on_update_lead" and
	    (.[2] | keys == ["data", "hook_action"]) and
	    .[2].hook_action == "on_close_lead"'
	expect_echoes '.[0].attributes.updated_at <
	    .[1].lead.attributes.updated_at and
	    .[1].lead.attributes.updated_at < .[2].data.attributes.updated_at'
	echoes no
	expect_echoes 'length == 1 and .[0].hook_action == "on_close_lead"'
	deliveries "$id"
	jq -e --arg t "$TAG" '[.deliveries[] | select(.hook_url | contains($t)) |
	    [.hook_action, .status]] == [["on_update_lead", 200],
	    ["on_update_lead", 200], ["on_close_lead", 200],
	    ["on_close_lead", 422], ["on_close_lead", 0]]' body >/dev/null ||
	    atf_fail "deliveries: $(head -c 800 body)"
	# Not a lead id: 404.
	expect 404 "$(get /__sim/leads/nothex/close -X POST -d '')"
	expect 400 "$(get '/__sim/deliveries?lead=nothex')"
}
hooks_deliver__update_close_cleanup() {
	hooks_cleanup
}

atf_test_case hooks_deliver__after_create_message cleanup
hooks_deliver__after_create_message_head() {
	atf_set descr "a note posted with create_message fires on_update_lead " \
	    "to the on_update_lead hooks, after the answer is sent"
	atf_set require.config sim_url
}
hooks_deliver__after_create_message_body() {
	hook_init
	local id=$(lead_id 4444) t0 t1
	# The receiver takes 4 s to answer: the note's answer must not wait
	# (waiting, it could never come sooner; not waiting, it comes in
	# milliseconds, a loaded machine's seconds aside).
	expect 200 "$(hook_sub on_update_lead "$(hook_url slow delay_ms=4000)" ts)"
	expect 200 "$(hook_sub on_update_lead "$(hook_url fast)")"
	expect 200 "$(hook_sub on_create_lead "$(hook_url create)")"
	lead_attrs "$id"
	t0=$(date +%s%N)
	expect 201 "$(c2s "/integration/leads/$id/create_message" -X POST \
	    -d "{\"leadId\":\"$id\",\"body\":\"nota\"}")"
	t1=$(date +%s%N)
	[ $(( (t1 - t0) / 1000000 )) -lt 4000 ] ||
	    atf_fail "create_message waited for the hooks: $(( (t1 - t0) / 1000000 )) ms"
	wait_for 100 eval "curl -s '$SIM/__sim/deliveries?lead=$id' |
	    jq -e --arg t '$TAG' '[.deliveries[] |
	    select(.hook_url | contains(\$t))] | length == 2' >/dev/null" ||
	    atf_fail "on_update_lead not delivered after the note"
	deliveries "$id"
	jq -e --arg t "$TAG" '[.deliveries[] | select(.hook_url | contains($t)) |
	    [.hook_action, .shape, .status]] == [["on_update_lead", "ts", 200],
	    ["on_update_lead", "jsonapi", 200]]' body >/dev/null ||
	    atf_fail "deliveries: $(head -c 800 body)"
	echoes slow
	expect_echoes ".[0].hook_action == \"on_update_lead\" and
	    .[0].lead.id == \"$id\""
	jq -e --slurpfile a attrs '.[0].lead.attributes | del(.updated_at) ==
	    $a[0]' echoes >/dev/null || atf_fail "not GET's attributes"
	echoes create
	expect_echoes 'length == 0'
	# A refused note (400) fires nothing.
	expect 400 "$(c2s "/integration/leads/$id/create_message" -X POST \
	    -d '{}')"
	sleep 0.5
	deliveries "$id"
	expect_json ".deliveries | length == 2"
}
hooks_deliver__after_create_message_cleanup() {
	hooks_cleanup
}

atf_test_case hooks_unsubscribe__stops_deliveries cleanup
hooks_unsubscribe__stops_deliveries_head() {
	atf_set descr "an unsubscribed hook gets no more events; /__sim/reset " \
	    "forgets deliveries but keeps subscriptions"
	atf_set require.config sim_url
}
hooks_unsubscribe__stops_deliveries_body() {
	hook_init
	local id=$(lead_id 4545) u=$(hook_url u)
	expect 200 "$(hook_sub on_close_lead "$u" rust)"
	expect 200 "$(get "/__sim/leads/$id/close" -X POST -d '')"
	expect_json '[.deliveries[] | select(.hook_url | contains("'"$TAG"'"))] |
	    length == 1'
	reset
	deliveries "$id"
	expect_json '.deliveries == []'
	expect 200 "$(get /__sim/echo)"
	expect_json '.echoes == []'
	expect 200 "$(get /__sim/hooks)"
	expect_json '[.hooks[] | select(.hook_url | contains("'"$TAG"'"))] |
	    length == 1'
	expect 200 "$(get "/__sim/leads/$id/close" -X POST -d '')"
	expect_json '[.deliveries[] | select(.hook_url | contains("'"$TAG"'"))] |
	    length == 1'
	expect 200 "$(hook_unsub on_close_lead "$u")"
	expect 200 "$(get "/__sim/leads/$id/close" -X POST -d '')"
	expect_json '[.deliveries[] | select(.hook_url | contains("'"$TAG"'"))] ==
	    []'
	deliveries "$id"
	expect_json '.deliveries | length == 1'
	echoes u
	expect_echoes 'length == 1'
}
hooks_unsubscribe__stops_deliveries_cleanup() {
	hooks_cleanup
}

atf_test_case hooks_secret__never_in_clear cleanup
hooks_secret__never_in_clear_head() {
	atf_set descr "a hook URL's token is in no answer, record file or " \
	    "log of the simulator"
	atf_set require.config sim_url stack_dir
}
hooks_secret__never_in_clear_body() {
	hook_init
	local id=$(lead_id 4646) rundir
	rundir=$(atf_config_get stack_dir)
	expect 200 "$(hook_sub on_update_lead "$(hook_url s)" rust)"
	expect 200 "$(hook_sub on_close_lead "$(hook_url s status=500)")"
	expect 200 "$(hook_sub on_close_lead \
	    "http://127.0.0.1:1/x?token=$SECRET")"
	expect 200 "$(hook_sub on_close_lead \
	    "https://127.0.0.1:1/y?a=1&Token=$SECRET#frag")"
	: >answers
	expect 200 "$(get "/__sim/leads/$id/close" -X POST -d '')"
	cat body >>answers
	expect_json '[.deliveries[].hook_url | select(contains("Token=***#frag"))]
	    | length == 1'
	expect 201 "$(c2s "/integration/leads/$id/create_message" -X POST \
	    -d "{\"leadId\":\"$id\",\"body\":\"nota\"}")"
	wait_for 100 eval "curl -s '$SIM/__sim/deliveries?lead=$id' |
	    jq -e '[.deliveries[] | select(.hook_action ==
	    \"on_update_lead\")] | length >= 1' >/dev/null" ||
	    atf_fail "on_update_lead not delivered"
	for p in /__sim/deliveries "/__sim/deliveries?lead=$id" /__sim/hooks \
	    /__sim/calls /__sim/echo; do
		expect 200 "$(get "$p")"
		cat body >>answers
	done
	grep -q "token=\*\*\*" answers || atf_fail "no masked URL seen"
	atf_check -s exit:1 grep -e "$SECRET" answers
	atf_check -s exit:1 grep -r -e "$SECRET" "$rundir/log" "$rundir/sim"
	# The subscriptions file needs the URLs, but not in clear.
	[ -s "$rundir/sim/record.hooks" ] || atf_fail "no subscriptions file"
}
hooks_secret__never_in_clear_cleanup() {
	hooks_cleanup
}

atf_test_case hooks_reset__forgets_subscriptions cleanup
hooks_reset__forgets_subscriptions_head() {
	atf_set descr "POST /__sim/hooks/reset forgets every subscription"
	atf_set require.config sim_url
}
hooks_reset__forgets_subscriptions_body() {
	hook_init
	expect 200 "$(hook_sub on_create_lead "$(hook_url r)")"
	expect 200 "$(get /__sim/hooks)"
	expect_json '.hooks | length >= 1'
	expect 200 "$(get /__sim/hooks/reset -X POST -d '')"
	expect_json '.reset == true'
	expect 200 "$(get /__sim/hooks)"
	expect_json '.hooks == []'
	expect 200 "$(get /__sim/leads -X POST -d '')"
	expect_json '.deliveries == []'
	expect 405 "$(get /__sim/hooks/reset)"
}
hooks_reset__forgets_subscriptions_cleanup() {
	hooks_cleanup
}

atf_init_test_cases() {
	atf_add_test_case c2s_lead__shape
	atf_add_test_case c2s_lead__seeded
	atf_add_test_case c2s_lead__case_insensitive
	atf_add_test_case c2s_lead__not_hex_404
	atf_add_test_case c2s__wrong_token_401
	atf_add_test_case c2s_message__201
	atf_add_test_case c2s_message__bad_body_400
	atf_add_test_case c2s_create__id_is_fnv64
	atf_add_test_case c2s_list__perpage
	atf_add_test_case c2s_list__pages
	atf_add_test_case diretrix__wrong_auth_401
	atf_add_test_case diretrix_phone__finds_person
	atf_add_test_case diretrix_email__finds_person
	atf_add_test_case diretrix__nobody_empty
	atf_add_test_case diretrix_multi__decoy_first
	atf_add_test_case work__wrong_token_401
	atf_add_test_case work_cpf__dossier_fields
	atf_add_test_case work_cpf__dossier_properties
	atf_add_test_case work_cpf__not_found_in_200
	atf_add_test_case work_phone__finds_person
	atf_add_test_case work_phone__padded_and_cnpj
	atf_add_test_case work__bad_module_400_in_200
	atf_add_test_case fault_latency
	atf_add_test_case fault_503
	atf_add_test_case fault_0a_cpf_503
	atf_add_test_case fault_malformed
	atf_add_test_case fault_truncated
	atf_add_test_case fault_403_in_200
	atf_add_test_case fault_credits
	atf_add_test_case fault_429
	atf_add_test_case fault_oversized
	atf_add_test_case fault_flaky_then_ok
	atf_add_test_case fault_500_html
	atf_add_test_case fault_hang
	atf_add_test_case fault_cc_create_message
	atf_add_test_case record__calls_counted_and_reset
	atf_add_test_case record__no_secrets
	atf_add_test_case notes__recorded
	atf_add_test_case truth__consistent_with_apis
	atf_add_test_case data__deterministic
	atf_add_test_case data__no_cpf_rate_about_10_percent
	atf_add_test_case cpf__check_digits_valid
	atf_add_test_case routes__unknown_404_wrong_method_405
	atf_add_test_case hooks_subscribe__refusals
	atf_add_test_case hooks_subscribe__idempotent
	atf_add_test_case hooks_deliver__three_shapes
	atf_add_test_case hooks_deliver__update_close
	atf_add_test_case hooks_deliver__after_create_message
	atf_add_test_case hooks_unsubscribe__stops_deliveries
	atf_add_test_case hooks_secret__never_in_clear
	atf_add_test_case hooks_reset__forgets_subscriptions
}
