#!/usr/bin/env escript
%% -*- erlang -*-
%%! -hidden -nocookie -noinput
%%
%% beamdump-capture: read a running node as a hidden node and write a
%% snapshot file (docs/snapshot-format.md). Only functions that every node
%% has loaded at boot are called on the target, in batches, through erpc:
%% nothing of ours runs there between two calls, so killing the capture at
%% any moment leaves the target as it was.
-mode(compile).
-include_lib("kernel/include/file.hrl").

-define(VERSION, <<"0.1.0">>).
-define(MAGIC, <<137, "BDSNAP\n", 1:16, 0:16>>).
-define(ROWS_PER_FRAME, 10000).
-define(TOP_K, 100).
-define(QUEUED_CAP, 10000).
-define(FOLLOW_CAP, 10000).
-define(FOLLOW_ROUNDS, 3).
-define(BACKTRACE_MAX_STACK, 10000).
%% --state: requests in flight at once, the longest wait for one answer,
%% and how many states (or bytes of them) go in one frame
-define(STATE_IN_FLIGHT, 16).
-define(STATE_WAIT_MS, 1000).
-define(STATE_PER_FRAME, 64).
-define(STATE_FRAME_BYTES, 32 * 1024 * 1024).
-define(STATE_MAX_BYTES, 128 * 1024 * 1024).

%% Phase 1: read under the process lock, the process is not woken.
-define(DIRECT, [registered_name, initial_call, status, message_queue_len, reductions,
                 heap_size, stack_size, trap_exit, priority, group_leader]).
-define(GC_KEYS, [heap_block_size, old_heap_block_size, old_heap_size, mbuf_size,
                  bin_vheap_size, bin_old_vheap_size]).
%% Phase 2: each of these makes the process answer a signal.
-define(KEYS_P2, [memory, total_heap_size, current_function, current_stacktrace, links,
                  monitors, monitored_by, dictionary, binary]).
-define(DICT_KEPT, ['$ancestors', '$initial_call', '$process_label']).
-define(SYS_KEYS, [otp_release, version, system_version, wordsize, process_count,
                   process_limit, schedulers, schedulers_online]).

-record(c, {node, out, tmp, fd, janitor, full = false, state = false, same_erts = false,
            window = 0, timeout = 10000,
            deadline, batch = 5000, quiet = false, tty = false, t0,
            frames = 0, rows = 0, timeouts = 0, seq = 0, atoms = none}).

main(Args) ->
    %% what goes wrong is said on standard error, not in supervisor reports
    logger:set_primary_config(level, none),
    Opts = parse(Args, #{}),
    Node = target(maps:get(node, Opts)),
    Cookie = cookie(Opts),
    start_dist(Node, Opts),
    erlang:set_cookie(Node, Cookie),
    connect(Node, maps:get(timeout, Opts, 10) * 1000),
    T0 = erlang:monotonic_time(millisecond),
    C0 = #c{node = Node, out = maps:get(out, Opts), full = maps:get(full, Opts, false),
            state = maps:get(state, Opts, false),
            window = maps:get(window, Opts, 0), timeout = maps:get(timeout, Opts, 10) * 1000,
            deadline = T0 + maps:get(max_duration, Opts, 300) * 1000,
            batch = maps:get(batch, Opts, 5000), quiet = maps:get(quiet, Opts, false),
            tty = stderr_is_tty(), t0 = T0},
    C1 = open_out(C0),
    {Aborted, C2} = try {false, capture(C1)}
                    catch
                        throw:{abort, Reason, Cx} -> {Reason, Cx};
                        Class:Reason:St ->
                            io:format(standard_error, "beamdump capture: internal error: ~0p~n",
                                      [{Class, Reason, St}]),
                            {{internal, Class, Reason}, get(written)}
                    end,
    C3 = finish(C2, Aborted),
    summary(C3, Aborted),
    erlang:halt(case Aborted of false -> 0; _ -> 1 end).

%%% Arguments

usage() ->
    "usage: beamdump-capture.escript NODE -o FILE [--cookie-file F] [--full] [--state]\n"
    "         [--window SECONDS] [--timeout S] [--max-duration S] [--batch N]\n"
    "         [--name NAME] [--proto-dist P --ssl-dist-optfile F] [--quiet]\n"
    "The cookie comes from --cookie-file, else $BEAMDUMP_COOKIE, else ~/.erlang.cookie.\n".

usage_error(Fmt, Args) ->
    io:format(standard_error, "beamdump capture: " ++ Fmt ++ "~n~s", Args ++ [usage()]),
    erlang:halt(2).

parse([], O) ->
    maps:is_key(node, O) orelse usage_error("no NODE given", []),
    maps:is_key(out, O) orelse usage_error("no output file given (-o FILE)", []),
    O;
parse([H | _], _) when H =:= "-h"; H =:= "--help" -> io:put_chars(usage()), erlang:halt(0);
parse(["-o", F | T], O) -> parse(T, O#{out => F});
parse(["--output", F | T], O) -> parse(T, O#{out => F});
parse(["--cookie-file", F | T], O) -> parse(T, O#{cookie_file => F});
parse(["--full" | T], O) -> parse(T, O#{full => true});
parse(["--state" | T], O) -> parse(T, O#{state => true});
parse(["--quiet" | T], O) -> parse(T, O#{quiet => true});
parse(["--window", S | T], O) -> parse(T, O#{window => int(S, "--window", 0)});
parse(["--timeout", S | T], O) -> parse(T, O#{timeout => int(S, "--timeout", 1)});
parse(["--max-duration", S | T], O) -> parse(T, O#{max_duration => int(S, "--max-duration", 1)});
parse(["--batch", S | T], O) -> parse(T, O#{batch => int(S, "--batch", 1)});
parse(["--name", N | T], O) -> parse(T, O#{name => N});
parse(["--proto-dist", P | T], O) -> parse(T, O#{proto_dist => P});
parse(["--ssl-dist-optfile", F | T], O) -> parse(T, O#{ssl_dist_optfile => F});
parse(["--cookie" | _], _) ->
    usage_error("there is no --cookie option: a cookie on the command line is visible "
                "to every user (use --cookie-file or $BEAMDUMP_COOKIE)", []);
parse(["-" ++ _ = Opt | _], _) -> usage_error("unknown option or missing value: ~s", [Opt]);
parse([N | T], O) ->
    maps:is_key(node, O) andalso usage_error("more than one NODE: ~s", [N]),
    parse(T, O#{node => N}).

int(S, Opt, Min) ->
    try list_to_integer(S) of
        N when N >= Min -> N;
        _ -> usage_error("~s must be at least ~w", [Opt, Min])
    catch error:badarg -> usage_error("~s wants a whole number, not ~s", [Opt, S])
    end.

%% NODE without a host is on this host, as erl -sname would name it.
target(N) ->
    case lists:member($@, N) of
        true -> list_to_atom(N);
        false -> {ok, H} = inet:gethostname(), list_to_atom(N ++ "@" ++ H)
    end.

host(Node) -> tl(lists:dropwhile(fun(Ch) -> Ch =/= $@ end, atom_to_list(Node))).

%%% Cookie: never on the command line, never from a file others can read

cookie(Opts) ->
    case {maps:find(cookie_file, Opts), os:getenv("BEAMDUMP_COOKIE")} of
        {{ok, F}, _} -> cookie_file(F);
        {error, E} when E =/= false, E =/= "" -> list_to_atom(string:trim(E));
        _ ->
            case os:getenv("HOME") of
                false -> usage_error("no cookie: give --cookie-file or set $BEAMDUMP_COOKIE", []);
                Home -> cookie_file(filename:join(Home, ".erlang.cookie"))
            end
    end.

cookie_file(F) ->
    case file:read_file_info(F) of
        {ok, #file_info{mode = Mode}} ->
            Mode band 8#077 =:= 0 orelse
                usage_error("cookie file ~s must be accessible by owner only "
                            "(it is ~.8B; chmod 600 it)", [F, Mode band 8#777]);
        {error, R} -> usage_error("cannot read cookie file ~s: ~s", [F, file:format_error(R)])
    end,
    case file:read_file(F) of
        {ok, B} ->
            case string:trim(binary_to_list(B)) of
                "" -> usage_error("cookie file ~s is empty", [F]);
                Ck -> list_to_atom(Ck)
            end;
        {error, R2} -> usage_error("cannot read cookie file ~s: ~s", [F, file:format_error(R2)])
    end.

%%% Distribution: a hidden node with a fixed name per user, so that capturing
%%% again adds no atom to the target (node names are atoms there).

start_dist(Target, Opts) ->
    vm_flag(Opts, proto_dist, "--proto-dist"),
    vm_flag(Opts, ssl_dist_optfile, "--ssl-dist-optfile"),
    Domain = case lists:member($., host(Target)) of
                 true -> longnames;
                 false -> shortnames
             end,
    Name = case maps:find(name, Opts) of
               {ok, N} -> N;
               error -> "beamdump_" ++ user()
           end,
    Full = case {Domain, lists:member($@, Name)} of
               {longnames, false} -> Name ++ "@" ++ long_host(Target);
               _ -> Name
           end,
    case start_hidden(list_to_atom(Full), Domain) of
        {ok, _} -> ok;
        {error, E} ->
            io:format(standard_error, "beamdump capture: cannot start distribution as ~s: ~0p~n"
                      "  (is another capture running under the same name? use --name)~n",
                      [Full, E]),
            erlang:halt(3)
    end.

%% The carrier is chosen when this VM starts: beamdump capture passes these
%% options as ERL_FLAGS; run directly, the escript needs ERL_FLAGS set too.
vm_flag(Opts, Key, Opt) ->
    case {maps:find(Key, Opts), init:get_argument(Key)} of
        {error, _} -> ok;
        {{ok, V}, {ok, Vs}} when is_list(Vs) ->
            lists:member([V], Vs) orelse vm_flag_missing(Opt, Key, V);
        {{ok, V}, _} -> vm_flag_missing(Opt, Key, V)
    end.

vm_flag_missing(Opt, Key, V) ->
    usage_error("~s ~s needs this VM started with -~s ~s: run it through beamdump capture, "
                "or set ERL_FLAGS=\"-~s ~s\"", [Opt, V, Key, V, Key, V]).

%% OTP 24 and later: no listening socket and no epmd registration, so
%% captures of different nodes from one host can run at once under the one
%% name. OTP 23 registers the name (and is hidden through -hidden above).
start_hidden(Name, Domain) ->
    {module, _} = code:ensure_loaded(net_kernel),
    case erlang:function_exported(net_kernel, start, 2) of
        true -> net_kernel:start(Name, #{name_domain => Domain, hidden => true,
                                         dist_listen => false});
        false -> net_kernel:start([Name, Domain])
    end.

%% A long name needs a host with a dot: this host's name if it has one, else
%% the address this host reaches the target from (127.0.0.1 for a local one).
long_host(Target) ->
    Local = net_adm:localhost(),
    case lists:member($., Local) of
        true -> Local;
        false ->
            try
                {ok, Addr} = inet:getaddr(host(Target), inet),
                {ok, S} = gen_udp:open(0),
                ok = gen_udp:connect(S, Addr, 4369),
                {ok, {Ip, _}} = inet:sockname(S),
                gen_udp:close(S),
                inet:ntoa(Ip)
            catch _:_ -> "127.0.0.1"
            end
    end.

user() ->
    U = case os:getenv("USER") of
            V when V =:= false; V =:= "" -> os:getenv("LOGNAME", "user");
            V -> V
        end,
    [case Ch of
         _ when Ch >= $a, Ch =< $z; Ch >= $A, Ch =< $Z; Ch >= $0, Ch =< $9 -> Ch;
         _ -> $_
     end || Ch <- U].

connect(Node, Timeout) ->
    Self = self(),
    Pid = spawn(fun() -> Self ! {connected, self(), net_kernel:connect_node(Node)} end),
    receive
        {connected, Pid, true} -> ok;
        {connected, Pid, _} -> unreachable(Node, "the connection was refused")
    after Timeout -> unreachable(Node, "no answer in time")
    end.

unreachable(Node, Why) ->
    io:format(standard_error,
              "beamdump capture: cannot reach ~s: ~s.~n"
              "  Check that the node runs and its name is exactly right (epmd -names on ~s~n"
              "  lists the names), that epmd (port 4369) and the node's distribution port~n"
              "  are reachable from here, and that the cookie is the node's (a wrong cookie~n"
              "  is logged on the node as \"Connection attempt ... rejected\").~n",
              [Node, Why, host(Node)]),
    erlang:halt(3).

%%% Output: a temp file beside FILE, 0600, renamed when done. A janitor shell
%%% outside the VM removes the temp file if the VM dies before the rename.

open_out(C = #c{out = Out}) ->
    Tmp = Out ++ ".tmp-" ++ integer_to_list(erlang:phash2({os:getpid(), os:system_time()}, 1 bsl 32), 36),
    case file:open(Tmp, [write, exclusive, raw, binary]) of
        {ok, Fd} ->
            ok = file:change_mode(Tmp, 8#600),
            J = open_port({spawn_executable, "/bin/sh"},
                          [{args, ["-c", "trap '' INT TERM HUP; cat >/dev/null; rm -f -- \"$1\"",
                                   "janitor", Tmp]}, use_stdio, binary]),
            ok = file:write(Fd, ?MAGIC),
            C#c{tmp = Tmp, fd = Fd, janitor = J};
        {error, R} ->
            io:format(standard_error, "beamdump capture: cannot write ~s: ~s~n",
                      [Tmp, file:format_error(R)]),
            erlang:halt(2)
    end.

%% The state as of the last frame written is kept in the process
%% dictionary too, so that even an internal error ends the file properly.
frame(C = #c{fd = Fd, frames = N}, Term) ->
    Bin = term_to_binary(Term, [compressed]),
    ok = file:write(Fd, [<<(byte_size(Bin)):32>>, Bin, <<(erlang:crc32(Bin)):32>>]),
    C1 = C#c{frames = N + 1},
    put(written, C1),
    C1.

finish(C0, Aborted) ->
    C = #c{fd = Fd, tmp = Tmp, out = Out} =
        frame(C0, {'end', #{procs => C0#c.rows, frames => C0#c.frames + 1,
                            duration_us => (now_ms() - C0#c.t0) * 1000,
                            timeouts => C0#c.timeouts, aborted => Aborted}}),
    ok = file:close(Fd),
    ok = file:rename(Tmp, Out),
    port_close(C#c.janitor),
    C.

summary(#c{quiet = true}, _) -> ok;
summary(C = #c{out = Out, rows = Rows, t0 = T0}, Aborted) ->
    progress_done(C),
    Size = filelib:file_size(Out),
    io:format(standard_error, "beamdump capture: ~s: ~w processes, ~w bytes, ~.1f s~s~n",
              [Out, Rows, Size, (now_ms() - T0) / 1000,
               case Aborted of false -> ""; R -> io_lib:format(" (aborted: ~0p)", [R]) end]).

now_ms() -> erlang:monotonic_time(millisecond).

%%% Remote calls: one at a time, each bounded by the per-call timeout and
%%% the overall deadline. Any failure ends the capture (never retried).

call(C = #c{node = N, timeout = T, deadline = D}, Phase, M, F, A) ->
    Left = D - now_ms(),
    Left > 0 orelse throw({abort, max_duration, C}),
    try erpc:call(N, M, F, A, min(T, Left))
    catch
        error:{erpc, timeout} ->
            Why = case Left < T of true -> max_duration; false -> {timeout, Phase} end,
            throw({abort, Why, C#c{timeouts = C#c.timeouts + 1}});
        error:{erpc, noconnection} -> throw({abort, {noconnection, Phase}, C});
        Class:Reason -> throw({abort, {Phase, Class, Reason}, C})
    end.

%% process_info(Pid, Keys) for a batch of pids in one call; 'undefined'
%% for a process that is gone.
infos(C, Phase, Pids, Keys) ->
    call(C, Phase, lists, zipwith, [fun erlang:process_info/2, Pids,
                                    lists:duplicate(length(Pids), Keys)]).

%% Several calls in one remote worker: [apply(M, F, A)], in order.
applies(C, Phase, MFAs) ->
    {Ms, Fs, As} = lists:unzip3(MFAs),
    call(C, Phase, lists, zipwith3, [fun erlang:apply/3, Ms, Fs, As]).

%%% The capture

capture(C0) ->
    [Self, Pids, Sys, Time] =
        applies(C0, header, [{erlang, self, []}, {erlang, processes, []},
                             {lists, map, [fun erlang:system_info/1, ?SYS_KEYS]},
                             {os, system_time, [microsecond]}]),
    #{otp_release := Rel, version := Erts, system_version := SysV} = SysM =
        maps:from_list(lists:zip(?SYS_KEYS, Sys)),
    Header = maps:merge(maps:without([version], SysM),
                        #{format => {1, 0}, node => C0#c.node, otp_release => Rel, erts => Erts,
                          system_version => string:trim(SysV, trailing), time => Time,
                          capture => #{tool => <<"beamdump">>, version => ?VERSION,
                                       profile => case C0#c.full of true -> full; false -> gentle end,
                                       batch => C0#c.batch, keys_p1 => keys_p1(),
                                       keys_p2 => ?KEYS_P2, capturing_pids => [Self],
                                       window => C0#c.window, state => C0#c.state,
                                       host => list_to_binary(net_adm:localhost())}}),
    C1 = frame(C0#c{same_erts = Erts =:= erlang:system_info(version)}, {header, Header}),
    {Rows, C2} = phase1(C1, Pids),
    Live = [R || R <- Rows, element(1, R) =/= dead],
    Cands = case C2#c.full of
                true -> [{element(1, R), [full]} || R <- Live];
                false -> candidates(Live)
            end,
    {Detail, C3} = phase2(C2, Cands),
    {Detail2, C4} = follow(C3, Live, Detail, ?FOLLOW_ROUNDS, ?FOLLOW_CAP),
    C5 = backtraces(C4, Live, Detail2),
    C6 = states(C5, Detail2),
    C7 = system(C6),
    window(C7, [element(1, R) || R <- Live]).

keys_p1() -> ?DIRECT ++ ?GC_KEYS.

%% Phase 1: the direct keys of every process, written as they arrive.
phase1(C, Pids) ->
    Batches = chunks(Pids, min(C#c.batch, ?ROWS_PER_FRAME)),
    phase1(C, Batches, length(Pids), []).

phase1(C, [], _, Acc) -> {lists:append(lists:reverse(Acc)), C};
phase1(C0, [B | Bs], Total, Acc) ->
    Infos = infos(C0, phase1, B, ?DIRECT ++ [garbage_collection_info]),
    Rows = lists:zipwith(fun row/2, B, Infos),
    #c{seq = Seq, rows = Done} = C0,
    C2 = frame(C0#c{seq = Seq + 1, rows = Done + length(Rows)},
               {procs, Seq, erlang:system_time(microsecond), Rows}),
    progress(C2, "processes", C2#c.rows, Total),
    phase1(C2, Bs, Total, [Rows | Acc]).

row(Pid, undefined) -> {dead, Pid};
row(Pid, Info) ->
    GC = proplists:get_value(garbage_collection_info, Info, []),
    list_to_tuple([Pid | [V || {K, V} <- Info, K =/= garbage_collection_info]]
                  ++ [proplists:get_value(K, GC, 0) || K <- ?GC_KEYS]).

field(Row, Key) -> element(1 + index(Key, keys_p1(), 1), Row).
index(K, [K | _], I) -> I;
index(K, [_ | T], I) -> index(K, T, I + 1).

%% Who gets phase 2, with the reasons: [{Pid, [Reason]}].
candidates(Rows) ->
    Queued = lists:sublist(lists:reverse(lists:keysort(2,
                 [{element(1, R), field(R, message_queue_len)} || R <- Rows,
                  field(R, message_queue_len) > 0])), ?QUEUED_CAP),
    Tagged = [{P, queued} || {P, _} <- Queued]
        ++ [{element(1, R), active} || R <- Rows, field(R, status) =/= waiting]
        ++ [{element(1, R), registered} || R <- Rows, field(R, registered_name) =/= []]
        ++ top(Rows, top_heap, fun(R) -> field(R, heap_block_size) + field(R, old_heap_block_size) end)
        ++ top(Rows, top_binvheap, fun(R) -> field(R, bin_vheap_size) + field(R, bin_old_vheap_size) end)
        ++ top(Rows, top_reductions, fun(R) -> field(R, reductions) end)
        ++ top(Rows, top_stack, fun(R) -> field(R, stack_size) end),
    group(Tagged).

top(Rows, Reason, Metric) ->
    Sorted = lists:reverse(lists:keysort(1, [{Metric(R), element(1, R)} || R <- Rows])),
    [{P, Reason} || {V, P} <- lists:sublist(Sorted, ?TOP_K), V > 0].

%% [{Pid, Reason}] -> [{Pid, [Reason]}], in first-seen order.
group(Tagged) ->
    M = lists:foldl(fun({P, R}, Acc) -> maps:update_with(P, fun(Rs) -> [R | Rs] end, [R], Acc) end,
                    #{}, Tagged),
    {Order, _} = lists:foldl(fun({P, _}, {L, Seen}) ->
                                     case maps:is_key(P, Seen) of
                                         true -> {L, Seen};
                                         false -> {[P | L], Seen#{P => true}}
                                     end
                             end, {[], #{}}, Tagged),
    [{P, lists:usort(maps:get(P, M))} || P <- lists:reverse(Order)].

%% Phase 2: the signal keys of the candidates, as detail frames.
%% Returns #{Pid => Map | dead}.
phase2(C, Cands) -> phase2(C, chunks(Cands, C#c.batch), length(Cands), 0, #{}).

phase2(C, [], _, _, Acc) -> {Acc, C};
phase2(C0, [B | Bs], Total, Done, Acc) ->
    Pids = [P || {P, _} <- B],
    Infos = infos(C0, phase2, Pids, ?KEYS_P2),
    Rows = lists:zipwith(fun({P, Rs}, I) -> {P, Rs, detail(I)} end, B, Infos),
    #c{seq = Seq} = C0,
    C1 = (frame(C0, {detail, Seq, Rows}))#c{seq = Seq + 1},
    progress(C1, "details", Done + length(B), Total),
    phase2(C1, Bs, Total, Done + length(B),
           lists:foldl(fun({P, _, D}, A) -> A#{P => D} end, Acc, Rows)).

detail(undefined) -> dead;
detail(Info) ->
    M = maps:from_list(Info),
    Dict = maps:get(dictionary, M),
    M#{dictionary => [KV || {K, _} = KV <- Dict, lists:member(K, ?DICT_KEPT)],
       dictionary_keys => length(Dict)}.

-define(CALL_FUNS, [{gen, do_call}, {gen_statem, call_clean}, {gen_statem, call},
                    {erpc, call}, {erpc, receive_response}]).

in_call(#{current_function := {M, F, _}}) -> lists:member({M, F}, ?CALL_FUNS);
in_call(_) -> false.

%% Blocked callers and queued processes lead to the processes they wait
%% for: follow monitors and monitored_by, at most Rounds steps out.
follow(C, _, Detail, 0, _) -> {Detail, C};
follow(C0, Rows, Detail, Rounds, Budget) ->
    Named = maps:from_list([{field(R, registered_name), element(1, R)} || R <- Rows,
                            field(R, registered_name) =/= []]),
    Blocked = [D || D = #{} <- maps:values(Detail),
                    in_call(D) orelse maps:get(message_queue_len, D, 0) > 0],
    Next = lists:usort([P || D <- Blocked, P <- neighbours(D, Named),
                             not maps:is_key(P, Detail)]),
    case lists:sublist(Next, Budget) of
        [] -> {Detail, C0};
        Take ->
            {More, C1} = phase2(C0, [{P, [neighbour]} || P <- Take]),
            follow(C1, Rows, maps:merge(Detail, More), Rounds - 1, Budget - length(Take))
    end.

neighbours(D, Named) ->
    Mons = [case Target of
                {Name, _Node} when is_atom(Name) -> maps:get(Name, Named, none);
                P -> P
            end || {process, Target} <- maps:get(monitors, D, [])],
    [P || P <- Mons ++ maps:get(monitored_by, D, []), is_pid(P)].

%% Bounded backtraces of callers in a blocking call: the frame of the call
%% names the callee when the monitors cannot.
backtraces(C, Rows, Detail) ->
    Small = maps:from_list([{element(1, R), true} || R <- Rows,
                            field(R, stack_size) < ?BACKTRACE_MAX_STACK]),
    Pids = [P || {P, D = #{}} <- maps:to_list(Detail), in_call(D), maps:is_key(P, Small)],
    case Pids of
        [] -> C;
        _ ->
            lists:foldl(
              fun(B, Cx) ->
                      Infos = infos(Cx, backtrace, B, [backtrace]),
                      frame(Cx, {backtrace, [{P, Bt} || {P, [{backtrace, Bt}]} <- lists:zip(B, Infos)]})
              end, C, chunks(Pids, C#c.batch))
    end.

%%% --state: the behaviour state of every detailed process waiting in an OTP
%%% behaviour's loop, as sys:get_state/2 returns it. The request is a
%%% system message sent from here; the process answers it between two
%%% messages, so a process that is busy (or deadlocked) is never asked and
%%% one that does not answer in time is given up. A process that is not
%%% waiting in its loop is left alone: a system message it never reads
%%% would stay in its queue. Answering runs sys on the target: if sys is
%%% not loaded there (an interactive node that never used it) no state is
%%% read, because asking would load it.

states(C = #c{state = false}, _) -> C;
states(C0, Detail) ->
    Hib = [P || {P, D = #{}} <- maps:to_list(Detail), hibernated(D)],
    Found = [{P, K} || {P, D = #{}} <- maps:to_list(Detail), (K = loop_kind(D)) =/= none]
        ++ hibernated_kinds(C0, Hib, Detail),
    %% a supervisor is a gen_server whose '$initial_call' names supervisor
    Cands = [{P, case {K, callback(maps:get(P, Detail))} of
                     {gen_server, supervisor} -> supervisor;
                     _ -> K
                 end} || {P, K} <- Found],
    case call(C0, state, code, is_loaded, [sys]) of
        false when Cands =/= [] ->
            io:format(standard_error, "beamdump capture: --state: module sys is not loaded on ~s "
                      "(an interactive node loads it on first use); asking for states would "
                      "load it, so none were read~n", [C0#c.node]),
            frame(C0, {states_not_read, sys_not_loaded});
        _ ->
            lists:foldl(fun(B, Cx) -> state_batch(Cx, B) end, C0,
                        chunks(lists:sort(Cands), ?STATE_PER_FRAME))
    end.

%% The behaviour whose receive loop a process waits in, from its current function.
loop_kind(#{current_function := {gen_server, loop, _}}) -> gen_server;
loop_kind(#{current_function := {gen_statem, loop_receive, _}}) -> gen_statem;
loop_kind(#{current_function := {gen_event, fetch_msg, _}}) -> gen_event;
loop_kind(_) -> none.

%% Hibernated proc_lib processes: their behaviour is their callback module's.
hibernated(#{current_function := {erlang, hibernate, 3}, dictionary := Dict}) ->
    lists:keymember('$initial_call', 1, Dict);
hibernated(_) -> false.

callback(#{dictionary := Dict}) ->
    case lists:keyfind('$initial_call', 1, Dict) of
        {_, {supervisor, _, _}} -> supervisor;
        {_, {M, _, _}} when is_atom(M) -> M;
        _ -> none
    end.

hibernated_kinds(_, [], _) -> [];
hibernated_kinds(C, Pids, Detail) ->
    Named = lists:usort([callback(maps:get(P, Detail)) || P <- Pids]) -- [none],
    %% get_module_info fails for a module not loaded: ask only of loaded ones
    Loaded = call(C, state, lists, map, [fun code:is_loaded/1, Named]),
    Mods = [M || {M, {file, _}} <- lists:zip(Named, Loaded)],
    Attrs = call(C, state, lists, zipwith, [fun erlang:get_module_info/2, Mods,
                                            lists:duplicate(length(Mods), attributes)]),
    Kinds = maps:from_list(lists:zipwith(fun(M, A) -> {M, behaviour_of(A)} end, Mods, Attrs)),
    [{P, K} || P <- Pids, (K = maps:get(callback(maps:get(P, Detail)), Kinds, none)) =/= none].

behaviour_of(Attrs) when is_list(Attrs) ->
    Bs = proplists:get_all_values(behaviour, Attrs) ++ proplists:get_all_values(behavior, Attrs),
    case [K || K <- [gen_server, gen_statem, gen_event, supervisor], lists:member(K, lists:append(Bs))] of
        [K | _] -> K;
        [] -> none
    end;
behaviour_of(_) -> none.

%% One frame: {states, Seq, [{Pid, Kind, Answer}]}, Answer {ok, State, FlatWords}
%% | {ok, State} | no_answer | {too_big, Bytes} | {error, Why}.
state_batch(C0, Batch) ->
    Left = C0#c.deadline - now_ms(),
    Left > 0 orelse throw({abort, max_duration, C0}),
    Wait = lists:min([?STATE_WAIT_MS, C0#c.timeout, Left]),
    Answers = ask_states(Batch, Wait),
    progress(C0, "states", length(Answers), 0),
    Same = C0#c.same_erts,
    Sized = [{P, K, fit(K, A, Same)} || {P, K, A} <- Answers],
    lists:foldl(fun(Part, Cx = #c{seq = S}) ->
                        (frame(Cx, {states, S, Part}))#c{seq = S + 1}
                end, C0, by_bytes(Sized, 0, [], [])).

%% At most STATE_IN_FLIGHT requests at once, each given Wait ms.
ask_states(Batch, Wait) ->
    Self = self(),
    Ask = fun({P, K}) ->
                  spawn_monitor(fun() ->
                                        A = try {ok, sys:get_state(P, Wait)}
                                            catch exit:{timeout, _} -> no_answer;
                                                  exit:{Why, _} -> {error, reason(Why)}
                                            end,
                                        Self ! {state, self(), P, K, A}
                                end)
          end,
    collect(Batch, Ask, 0, []).

collect([], _, 0, Acc) -> lists:reverse(Acc);
collect([B | Bs], Ask, N, Acc) when N < ?STATE_IN_FLIGHT -> Ask(B), collect(Bs, Ask, N + 1, Acc);
collect(Bs, Ask, N, Acc) ->
    receive
        {state, _, P, K, A} -> collect(Bs, Ask, N, [{P, K, A} | Acc]);
        {'DOWN', _, process, _, normal} -> collect(Bs, Ask, N - 1, Acc);
        {'DOWN', _, process, _, Why} -> io:format(standard_error, "beamdump capture: state: ~0p~n", [Why]),
                                         collect(Bs, Ask, N - 1, Acc)
    end.

reason(noproc) -> noproc;
reason({nodedown, _}) -> nodedown;
reason(Why) when is_atom(Why) -> Why;
reason(_) -> failed.

%% The flat size as the target has it: the state decoded here is the same
%% term, laid out the same (large maps are hash tries) when the runtime is
%% the same version; sharing is not kept by either, as flat_size ignores it.
%% A gen_statem answers {StateName, Data}: the size is Data's.
fit(Kind, {ok, S} = A, SameErts) ->
    case erlang:external_size(S) of
        Bytes when Bytes > ?STATE_MAX_BYTES -> {too_big, Bytes};
        _ when SameErts -> {ok, S, erts_debug:flat_size(data(Kind, S))};
        _ -> A
    end;
fit(_, A, _) -> A.

data(gen_statem, {_, Data}) -> Data;
data(_, S) -> S.

%% Answers cut into frames of about STATE_FRAME_BYTES.
by_bytes([], _, [], Out) -> lists:reverse(Out);
by_bytes([], _, Cur, Out) -> lists:reverse([lists:reverse(Cur) | Out]);
by_bytes([A | As], Bytes, Cur, Out) ->
    B = erlang:external_size(A),
    case Cur =/= [] andalso Bytes + B > ?STATE_FRAME_BYTES of
        true -> by_bytes(As, B, [A], [lists:reverse(Cur) | Out]);
        false -> by_bytes(As, Bytes + B, [A | Cur], Out)
    end.

system(C0) ->
    progress(C0, "system", 0, 0),
    [Mem, Tabs, Atoms, Ports] =
        applies(C0, system, [{erlang, memory, []}, {ets, all, []},
                             {lists, map, [fun erlang:system_info/1, [atom_count, atom_limit]]},
                             {lists, map, [fun erlang:system_info/1, [port_count, port_limit]]}]),
    Ets = [I || I <- call(C0, ets, lists, map, [fun ets:info/1, Tabs]), is_list(I)],
    C1 = frame(C0, {memory, Mem}),
    C2 = frame(C1, {ets, Ets}),
    C3 = frame(C2#c{atoms = {hd(Atoms), now_ms()}}, list_to_tuple([atoms | Atoms])),
    C4 = frame(C3, list_to_tuple([ports | Ports])),
    applications(C4).

%% The running applications and their masters: a master is the group leader
%% of every process of its application, so phase 1's group_leader places
%% every process. application:info/0 asks the application controller; if it
%% does not answer in time the snapshot goes without them.
applications(C) ->
    try call(C, applications, application, info, []) of
        Info when is_list(Info) ->
            Running = proplists:get_value(running, Info, []),
            frame(C, {applications, [{A, P} || {A, P} <- Running, is_atom(A), is_pid(P)]});
        _ -> C
    catch throw:{abort, _, _} -> C
    end.

%% --window S: the same processes S seconds later, direct keys only, and
%% the atom count again: atoms made while the node runs steadily are a leak.
window(C = #c{window = 0}, _) -> C;
window(C0, Pids) ->
    Wait = C0#c.window * 1000,
    now_ms() + Wait < C0#c.deadline orelse throw({abort, max_duration, C0}),
    progress(C0, "window", 0, 0),
    timer:sleep(Wait),
    C1 = lists:foldl(
           fun(B, Cx = #c{seq = Seq}) ->
                   Infos = infos(Cx, window, B, [reductions, message_queue_len, heap_size, stack_size]),
                   S = [{P, R, Q, H + St} || {P, [{_, R}, {_, Q}, {_, H}, {_, St}]} <- lists:zip(B, Infos)],
                   (frame(Cx, {sample, Seq, erlang:system_time(microsecond), S}))#c{seq = Seq + 1}
           end, C0, chunks(Pids, min(C0#c.batch, ?ROWS_PER_FRAME))),
    case C1#c.atoms of
        {Before, T0} ->
            After = call(C1, window, erlang, system_info, [atom_count]),
            frame(C1, {atoms_window, (now_ms() - T0) * 1000, Before, After});
        none -> C1
    end.

chunks([], _) -> [];
chunks(L, N) when length(L) =< N -> [L];
chunks(L, N) -> {H, T} = lists:split(N, L), [H | chunks(T, N)].

%%% Progress on a terminal only

stderr_is_tty() ->
    try
        P = open_port({spawn_executable, "/bin/sh"},
                      [{args, ["-c", "test -t 2"]}, exit_status, use_stdio]),
        receive {P, {exit_status, S}} -> S =:= 0 after 2000 -> false end
    catch _:_ -> false
    end.

progress(#c{tty = false}, _, _, _) -> ok;
progress(#c{quiet = true}, _, _, _) -> ok;
progress(_, Phase, _, 0) -> io:format(standard_error, "\r\e[K~s", [Phase]);
progress(_, Phase, N, Total) -> io:format(standard_error, "\r\e[K~s: ~w / ~w", [Phase, N, Total]).

progress_done(#c{tty = true}) -> io:format(standard_error, "\r\e[K", []);
progress_done(_) -> ok.
