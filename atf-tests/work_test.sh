#! /usr/bin/env atf-sh
# work_test -- the Work API proxy, GET /api/v1/work/modules/{module},
# end to end against the simulator: every module the Rust service proxied
# (cpf, tel or phone, nome, email, mae, cep, cnpj, titulo; all = cpf),
# answers consistent with the simulator's persons, documento checks made
# before anything is paid for, the per-process cache, and the Work API's
# error-in-200 bodies turned into statuses and never cached.  Upstream
# calls are counted in the simulator's record.

. "$(atf_get_srcdir)/common.subr"

# A CPF nobody else uses: a random seed.
fresh_cpf() {
	cpf_of "$(rand_seed 1000000)"
}

# A random person of the population the simulator's mae, cep and cnpj
# modules search (seeds 1 .. 262144, docs/SIMULATOR.md), with a dossier.
population_seed() {
	echo $(( ($(od -An -N3 -tu4 /dev/urandom) % 2700) * 97 + 1 ))
}

# dossier SEED: the person's dossier through the proxy's cpf module, in
# ./dossier.
dossier() {
	expect_status 200 GET "/api/v1/work/modules/cpf?documento=$(cpf_of "$1")"
	jq .data body >dossier
}

# work MODULE DOCUMENTO: the proxy's answer into ./body, the status out.
work() {
	http GET "/api/v1/work/modules/$1" -G --data-urlencode "documento=$2"
}

# expect_work STATUS MODULE DOCUMENTO
expect_work() {
	local got
	got=$(work "$2" "$3")
	[ "$got" = "$1" ] ||
	    atf_fail "$2 '$3': status $got, expected $1: $(head -c 400 body)"
}

atf_test_case cpf__dossier_cached
cpf__dossier_cached_head() {
	atf_set descr "module cpf (and all, given a CPF) answers the dossier;" \
	    "repeats are served from each responder's cache"
}
cpf__dossier_cached_body() {
	local cpf fmt i cached=0
	shared_stack
	cpf=$(fresh_cpf)
	fmt=$(echo "$cpf" | sed 's/^\(...\)\(...\)\(...\)/\1.\2.\3-/')
	expect_status 200 GET "/api/v1/work/modules/cpf?documento=$fmt"
	json '.module == "cpf" and .documento == "'$cpf'" and
	    .cached == false and .data.DadosBasicos.cpf == "'$cpf'" and
	    (.data.DadosEconomicos | type == "object")'
	# Each responder pays at most once within WORK_PROXY_TTL.
	for i in $(seq $((3 * C2S_POOL))); do
		expect_status 200 GET "/api/v1/work/modules/all?documento=$cpf"
		json '.module == "cpf" and .data.DadosBasicos.cpf == "'$cpf'"'
		[ "$(jq .cached body)" = true ] && cached=$((cached + 1))
	done
	[ $cached -gt 0 ] || atf_fail "no answer came from a cache"
	[ "$(sim_calls work "consulta=$cpf")" -le "$C2S_POOL" ] ||
	    atf_fail "more Work API calls than responders"
}

atf_test_case cpf__proxy_ttl cleanup
cpf__proxy_ttl_head() {
	atf_set descr "the proxy caches only its own answers, for " \
	    "WORK_PROXY_TTL: a dossier the pipeline just used is fetched " \
	    "again, and with WORK_PROXY_TTL=0 every request pays"
	atf_set timeout 120
}
cpf__proxy_ttl_body() {
	local id cpf n0 i
	private_stack C2S_POOL=1 WORK_PROXY_TTL=0
	id=$(find_lead normal)
	expect_status 200 GET "/api/v1/leads/process?id=$id"
	json '.status == "completed"'
	cpf=$(sql "SELECT p.cpf FROM c2s.lead_persons lp JOIN c2s.persons p
	    ON p.id = lp.person_id WHERE lp.lead_id = '$id' LIMIT 1")
	[ -n "$cpf" ] || atf_fail "the lead stored no person"
	n0=$(sim_calls work "consulta=$cpf")
	for i in 1 2 3; do
		expect_status 200 GET "/api/v1/work/modules/cpf?documento=$cpf"
		json '.cached == false and .data.DadosBasicos.cpf == "'$cpf'"'
	done
	[ "$(sim_calls work "consulta=$cpf")" = $((n0 + 3)) ] ||
	    atf_fail "$(($(sim_calls work "consulta=$cpf") - n0)) Work API calls for 3 requests, expected 3"
	private_stack_stop
}
cpf__proxy_ttl_cleanup() { private_stack_stop; }

atf_test_case phone__cpfs
phone__cpfs_head() {
	atf_set descr "module phone (and all, given a phone) answers the" \
	    "CPFs behind a phone"
}
phone__cpfs_body() {
	local seed cpf phone
	shared_stack
	# Seed s has the phone 11 9 (s - 1) (docs/SIMULATOR.md); one phone
	# in a hundred has a CPF's check digits, and is one: not those (all
	# below would rightly take it for a CPF).
	while :; do
		seed=$(rand_seed 2000000)
		phone=119$(printf '%08d' $((seed - 1)))
		[ "$(cpf_of "${phone%??}")" != "$phone" ] && break
	done
	cpf=$(cpf_of "$seed")
	expect_status 200 GET "/api/v1/work/modules/phone" -G \
	    --data-urlencode "documento=+55 (11) 9${phone#???}"
	json '.module == "phone" and .documento == "'$phone'" and
	    ([.data.msg[].cpf_cnpj | if length == 14 then .[3:] else . end] |
	    index("'$cpf'") != null)'
	# tel is the Rust service's name of the module; phone its alias.
	expect_status 200 GET "/api/v1/work/modules/tel?documento=$phone"
	json '.module == "tel" and .documento == "'$phone'" and
	    ([.data.msg[].cpf_cnpj | if length == 14 then .[3:] else . end] |
	    index("'$cpf'") != null)'
	# all is the cpf module: a phone is not a CPF.
	expect_status 400 GET "/api/v1/work/modules/all?documento=$phone"
	expect_json_error invalid_documento
	# A phone nobody has: DDD 12 is not in the simulator's list.
	expect_status 404 GET "/api/v1/work/modules/phone?documento=12991735462"
	expect_json_error not_found
}

atf_test_case errors__statuses_never_cached
errors__statuses_never_cached_head() {
	atf_set descr "error-in-200 bodies and faults become 404, 502 and 503" \
	    "with their codes, and are asked again every time"
}
errors__statuses_never_cached_body() {
	local st code nine cpf n0 i reps
	shared_stack
	reps=$((C2S_POOL + 1))
	while read -r st code nine; do
		cpf=$(cpf_of "$nine")
		n0=$(sim_calls work "consulta=$cpf")
		for i in $(seq $reps); do
			expect_status "$st" GET "/api/v1/work/modules/cpf?documento=$cpf"
			expect_json_error "$code"
		done
		# An error-in-200 is answered at once: one call per request.
		case $code in
		upstream_refused|upstream_credits_exhausted|not_found)
			[ "$(sim_calls work "consulta=$cpf")" = $((n0 + reps)) ] ||
			    atf_fail "$code: $(sim_calls work "consulta=$cpf") calls" \
			    "for $reps requests: cached or retried"
			;;
		*)
			[ "$(sim_calls work "consulta=$cpf")" -ge $((n0 + reps)) ] ||
			    atf_fail "$code: an error was cached"
			;;
		esac
	done <<'EOF'
404 not_found 000097097
502 upstream_refused 999999006
503 upstream_credits_exhausted 999999007
502 upstream_error 999999002
502 upstream_error 999999004
502 upstream_error 999999011
EOF
}

atf_test_case bad_input__no_call
bad_input__no_call_head() {
	atf_set descr "unknown modules, missing or invalid documentos get" \
	    "404 or 400 with their codes and cost no upstream call"
}
bad_input__no_call_body() {
	local calls0 st code path
	shared_stack
	calls0=$(curl -s "$C2S_SIM_URL/__sim/calls?api=work" | jq .total)
	while read -r st code path; do
		expect_status "$st" GET "$path"
		expect_json_error "$code"
	done <<'EOF'
404 unknown_module /api/v1/work/modules/rg?documento=52998224725
404 unknown_module /api/v1/work/modules/TEL?documento=11991723456
400 invalid_documento /api/v1/work/modules/nome?documento=52998224725
404 unknown_module /api/v1/work/modules/CPF?documento=52998224725
404 unknown_module /api/v1/work/modules/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa?documento=1
400 missing_documento /api/v1/work/modules/cpf
400 missing_documento /api/v1/work/modules/all?documento=
400 invalid_documento /api/v1/work/modules/cpf?documento=52998224724
400 invalid_documento /api/v1/work/modules/cpf?documento=11987654321x
400 invalid_documento /api/v1/work/modules/phone?documento=52998224
400 invalid_documento /api/v1/work/modules/all?documento=abc
400 invalid_documento /api/v1/work/modules/all?documento=%zz
400 invalid_documento /api/v1/work/modules/cpf?documento=00011222333000181
EOF
	expect_status 404 GET /api/v1/work/modules/cpf/x?documento=52998224725
	expect_status 405 POST "/api/v1/work/modules/cpf?documento=52998224725" -d ''
	[ "$(curl -s "$C2S_SIM_URL/__sim/calls?api=work" | jq .total)" = "$calls0" ] ||
	    atf_fail "a refused request reached an upstream"
}

atf_test_case nome__homonyms
nome__homonyms_head() {
	atf_set descr "module nome answers the persons of exactly that name," \
	    "the person among them; the name is normalised first"
}
nome__homonyms_body() {
	local seed cpf name
	shared_stack
	seed=$(rand_seed 2000000)
	cpf=$(cpf_of "$seed")
	dossier "$seed"
	name=$(jq -r .DadosBasicos.nome dossier)
	# As a form writes it: lower case (ASCII letters), extra spaces.
	expect_work 200 nome "  $(echo "$name" | sed 's/ /   /g' |
	    tr 'A-Z' 'a-z')  "
	json '.module == "nome" and .documento == "'"$name"'" and
	    (.data.msg | length >= 1 and length <= 10) and
	    all(.data.msg[]; .nome == "'"$name"'") and
	    any(.data.msg[]; .cpf_cnpj == "'$cpf'")'
	# A name nobody has.
	expect_work 404 nome "Fulano de Tal"
	expect_json_error not_found
}

atf_test_case email__person
email__person_head() {
	atf_set descr "module email answers the CPF of the e-mail's person"
}
email__person_body() {
	local seed cpf email
	shared_stack
	seed=$(rand_seed 3000000)
	cpf=$(cpf_of "$seed")
	dossier "$seed"
	email=$(jq -r '.emails[0].email' dossier)
	expect_work 200 email " $(echo "$email" | tr 'a-z' 'A-Z') "
	# The Work API may pad a CPF to 14 digits with 000 (DESIGN.md 3).
	json '.module == "email" and .documento == "'"$email"'" and
	    any(.data.msg[]; .cpf_cnpj | ltrimstr("000") == "'$cpf'")'
	expect_work 404 email "nobody.at.all@example.com"
	expect_json_error not_found
}

atf_test_case mae__children
mae__children_head() {
	atf_set descr "module mae answers the persons whose mother has that" \
	    "name, the person among them"
}
mae__children_body() {
	local seed cpf mae
	shared_stack
	seed=$(population_seed)
	cpf=$(cpf_of "$seed")
	dossier "$seed"
	mae=$(jq -r .DadosBasicos.nomeMae dossier)
	expect_work 200 mae "$mae"
	json '.module == "mae" and .documento == "'"$mae"'" and
	    all(.data.msg[]; .nomeMae == "'"$mae"'") and
	    any(.data.msg[]; .cpf_cnpj == "'$cpf'" and
	    .nome == "'"$(jq -r .DadosBasicos.nome dossier)"'")'
	expect_work 404 mae "Maria Ninguém da Silva"
	expect_json_error not_found
}

atf_test_case cep__residents
cep__residents_head() {
	atf_set descr "module cep answers an array of the people with an" \
	    "address at that CEP, the person among them with that address"
}
cep__residents_body() {
	local seed cpf cep
	shared_stack
	seed=$(population_seed)
	cpf=$(cpf_of "$seed")
	dossier "$seed"
	cep=$(jq -r '.enderecos[-1].cep' dossier)
	expect_work 200 cep "${cep%???}-${cep#?????}"
	json '.module == "cep" and .documento == "'$cep'" and
	    (.data | type == "array") and
	    all(.data[]; .endereco.cep == "'$cep'" and has("nome") and
	    has("dataNascimento") and has("sexo") and has("renda") and
	    has("nomeMae") and (.emails | type == "array") and
	    (.telefones | type == "array") and
	    (.endereco | has("tipoLogradouro") and has("logradouro") and
	    has("logradouroNumero") and has("complemento") and
	    has("bairro") and has("cidade") and has("uf"))) and
	    any(.data[]; .cpf_cnpj == "'$cpf'")'
	# Avenida Paulista: nobody of the simulator lives there.
	expect_work 404 cep "01310-100"
	expect_json_error not_found
}

atf_test_case cnpj__socios
cnpj__socios_head() {
	atf_set descr "module cnpj answers the company with the person as" \
	    "sócio, in the relation its dossier gives"
}
cnpj__socios_body() {
	local seed cpf cnpj rel n=0
	shared_stack
	# A person of the population with a company.
	while :; do
		seed=$(population_seed)
		dossier "$seed"
		[ "$(jq '.empresas | length' dossier)" -gt 0 ] && break
		n=$((n + 1))
		[ $n -lt 50 ] || atf_fail "no person with a company found"
	done
	cpf=$(cpf_of "$seed")
	cnpj=$(jq -r '.empresas[0].cnpj' dossier)
	rel=$(jq -r '.empresas[0].relacao' dossier)
	expect_work 200 cnpj "$(echo "$cnpj" |
	    sed 's|^\(..\)\(...\)\(...\)\(....\)|\1.\2.\3/\4-|')"
	json '.module == "cnpj" and .documento == "'$cnpj'" and
	    .data.cnpj == "'$cnpj'" and .data.situacao == "ATIVA" and
	    (.data.razaoSocial | length > 0) and
	    any(.data.socios[]; .cpf == "'$cpf'" and .qualificacao == "'$rel'")'
	# A real company's CNPJ, valid, unknown to the simulator.
	expect_work 404 cnpj "11.222.333/0001-81"
	expect_json_error not_found
}

atf_test_case titulo__person
titulo__person_head() {
	atf_set descr "module titulo answers the person whose título it is," \
	    "the same título its dossier gives"
}
titulo__person_body() {
	local seed cpf titulo
	shared_stack
	seed=$(rand_seed 4000000)
	cpf=$(cpf_of "$seed")
	dossier "$seed"
	titulo=$(jq -r .DadosBasicos.tituloEleitor dossier)
	expect_work 200 titulo "$(echo "$titulo" |
	    sed 's|^\(....\)\(....\)|\1 \2 |')"
	json '.module == "titulo" and .documento == "'$titulo'" and
	    .data.DadosBasicos.cpf == "'$cpf'" and
	    .data.tituloEleitor == "'$titulo'" and
	    (.data.zona | length > 0) and (.data.secao | length > 0)'
	# Valid check digits, but a UF code no simulated person has (11 up).
	expect_work 404 titulo "123456781198"
	expect_json_error not_found
}

atf_test_case modules__refused_before_any_call
modules__refused_before_any_call_head() {
	atf_set descr "each module refuses a documento that breaks its rule" \
	    "with 400 invalid_documento naming the rule, and no Work API call"
}
modules__refused_before_any_call_body() {
	local calls0 module doc rule
	shared_stack
	calls0=$(curl -s "$C2S_SIM_URL/__sim/calls" | jq .total)
	while IFS='|' read -r module doc rule; do
		expect_work 400 "$module" "$doc"
		expect_json_error invalid_documento
		json '.error | contains("'"$rule"'")'
	done <<'EOF'
cpf|529.982.247-24|valid CPF
all|11991723456|valid CPF
tel|1199172345|valid Brazilian phone
phone|20991234567|valid Brazilian phone
nome|Madonna|at least two words
nome|Ana 2 Lima|letters
nome|Ana L. Lima|letters
mae|R2-D2 Silva|letters
email|joao@gmail|valid e-mail
email|teste@teste.com|valid e-mail
cep|0131010|CEP of 8 digits
cep|00000-000|CEP of 8 digits
cnpj|11.222.333/0001-80|valid CNPJ
cnpj|52998224725|valid CNPJ
titulo|1023 8501 0672|título de eleitor
titulo|123456772902|título de eleitor
EOF
	# A name past 120 characters.
	expect_work 400 nome "Ana $(printf 'a%.0s' $(seq 120))"
	expect_json_error invalid_documento
	[ "$(curl -s "$C2S_SIM_URL/__sim/calls" | jq .total)" = "$calls0" ] ||
	    atf_fail "a refused documento reached an upstream"
}

atf_test_case modules__cached
modules__cached_head() {
	atf_set descr "every module's answers are cached per responder:" \
	    "repeats cost at most one call per responder"
}
modules__cached_body() {
	local seed cep i n cached=0
	shared_stack
	seed=$(population_seed)
	dossier "$seed"
	cep=$(jq -r '.enderecos[0].cep' dossier)
	for i in $(seq $((3 * C2S_POOL))); do
		expect_work 200 cep "$cep"
		[ "$(jq .cached body)" = true ] && cached=$((cached + 1))
	done
	[ $cached -gt 0 ] || atf_fail "no answer came from a cache"
	n=$(sim_calls work "modulo=cep&consulta=$cep")
	[ "$n" -ge 1 ] && [ "$n" -le "$C2S_POOL" ] ||
	    atf_fail "$n Work API calls: not 1 to one per responder"
}

atf_init_test_cases() {
	atf_add_test_case cpf__dossier_cached
	atf_add_test_case cpf__proxy_ttl
	atf_add_test_case phone__cpfs
	atf_add_test_case errors__statuses_never_cached
	atf_add_test_case bad_input__no_call
	atf_add_test_case nome__homonyms
	atf_add_test_case email__person
	atf_add_test_case mae__children
	atf_add_test_case cep__residents
	atf_add_test_case cnpj__socios
	atf_add_test_case titulo__person
	atf_add_test_case modules__refused_before_any_call
	atf_add_test_case modules__cached
}
