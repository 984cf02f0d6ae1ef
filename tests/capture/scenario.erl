%% scenario: the target node of tests/capture/run.sh, with planted problems:
%%  - slice_srv keeps 200-byte sub-binaries of 20 uploads of 1 MiB
%%  - hog_srv sleeps in handle_info with 300 000 messages queued behind it
%%  - dl_a <-> dl_b deadlocked in gen_server:call(..., infinity)
%%  - cyc_1 -> cyc_2 -> cyc_3 (a gen_statem) -> cyc_1, the same
%%  - state_srv's state is a 200 000-entry map; for --state also bin_srv
%%    (two refc binaries, one held twice), hib_srv (hibernated), idle_statem,
%%    and ev_mgr (a gen_event manager), whose flat sizes go to DIR/live
%%  - ETS table capture_big with 500 000 rows
%%  - 20 000 atoms user_attr_N, and atom_leaker making 400 atoms a second;
%%    a busy loop; 5 000 idle workers
%% main/1 writes DIR/live (facts read here just before the capture may
%% start) and DIR/ready, logs hidden nodes that connect to DIR/nodeups, and
%% halts when DIR/done appears, or after 120 s whatever happens. It runs with
%% fixtures/fxlib, fx_srv, fx_statem and fx_evh.
-module(scenario).
-export([main/1, worker/0, spin/1, leak_atoms/1]).

-define(MiB, 1048576).

worker() -> receive stop -> ok end.

spin(N) -> spin(N + 1).

%% 20 new atoms every 50 ms, for as long as the node runs
leak_atoms(N) ->
    _ = [list_to_atom("leaked_" ++ integer_to_list(N + I)) || I <- lists:seq(1, 20)],
    timer:sleep(50),
    leak_atoms(N + 20).

upload(I) ->
    <<I:64, (binary:copy(<<"x">>, ?MiB - 8))/binary>>.

srv(Name, State) ->
    {ok, P} = gen_server:start({local, Name}, fx_srv, State, []),
    P.

main([Dir]) ->
    erlang:send_after(120000, self(), give_up),
    spawn(fun() -> log_hidden(filename:join(Dir, "nodeups")) end),
    Slice = srv(slice_srv, []),
    fxlib:keep_slices(slice_srv, fun upload/1, 20, 200),
    Hog = srv(hog_srv, #{}),
    Hog ! {sleep, 600000},
    [Hog ! {msg, I} || I <- lists:seq(1, 300000)],
    [srv(N, {N, state}) || N <- [dl_a, dl_b, cyc_1, cyc_2]],
    {ok, _} = gen_statem:start({local, cyc_3}, fx_statem, {waiting, cyc_3}, []),
    gen_server:cast(dl_a, {call, dl_b, ping}),
    gen_server:cast(dl_b, {call, dl_a, ping}),
    gen_server:cast(cyc_1, {call, cyc_2, ping}),
    gen_server:cast(cyc_2, {statem_call, cyc_3, ping}),
    gen_statem:cast(cyc_3, {call, cyc_1, ping}),
    Big = maps:from_list([{K, K} || K <- lists:seq(1, 200000)]),
    _ = srv(state_srv, Big),
    B1 = binary:copy(<<1>>, 100000),
    BinState = [B1, binary:copy(<<2>>, 70000), B1],
    _ = srv(bin_srv, BinState),
    HibState = {hib, lists:seq(1, 1000)},
    {ok, Hib} = gen_server:start({local, hib_srv}, fx_srv, {hibernate, HibState}, []),
    StatemData = lists:seq(1, 5000),
    {ok, _} = gen_statem:start({local, idle_statem}, fx_statem, {idle, StatemData}, []),
    {ok, _} = gen_event:start({local, ev_mgr}),
    ok = gen_event:add_handler(ev_mgr, fx_evh, [ev1, ev2]),
    Self = self(),
    Owner = spawn(fun() ->
                          ets:new(capture_big, [named_table, public, set]),
                          Self ! {self(), table},
                          worker()
                  end),
    receive {Owner, table} -> ok end,
    ets:insert(capture_big, [{K, K} || K <- lists:seq(1, 500000)]),
    _ = [list_to_atom("user_attr_" ++ integer_to_list(N)) || N <- lists:seq(1, 20000)],
    Spinner = spawn(?MODULE, spin, [0]),
    register(atom_leaker, spawn(?MODULE, leak_atoms, [0])),
    [spawn(fun ?MODULE:worker/0) || _ <- lists:seq(1, 5000)],
    Cycle = [dl_a, dl_b, cyc_1, cyc_2, cyc_3],
    DoCall = {gen, do_call, 4},
    true = fxlib:wait_until(
             fun() -> lists:all(fun(N) -> fxlib:is_blocked_in(whereis(N), DoCall) end, Cycle) end,
             10000),
    true = fxlib:wait_until(fun() -> fxlib:is_blocked_in(Hog, {timer, sleep, 1}) end, 10000),
    {garbage_collection_info, GC} = process_info(Slice, garbage_collection_info),
    Live = [{processes, length(processes())},
            {hog_queue, element(2, process_info(Hog, message_queue_len))},
            {slice_bin_vheap, proplists:get_value(bin_vheap_size, GC)
                 + proplists:get_value(bin_old_vheap_size, GC)},
            {spinner, Spinner},
            {state_srv_words, erts_debug:flat_size(Big)},
            {bin_srv_words, erts_debug:flat_size(BinState)},
            {hib_srv_words, erts_debug:flat_size(HibState)},
            {idle_statem_words, erts_debug:flat_size(StatemData)},
            {ev_mgr_words, erts_debug:flat_size([{fx_evh, false, [ev1, ev2]}])},
            {hib_srv_hibernated, process_info(Hib, current_function) =:= {current_function, {erlang, hibernate, 3}}}]
        ++ [{N, whereis(N)} || N <- [hog_srv, slice_srv, state_srv, bin_srv, hib_srv, idle_statem, ev_mgr | Cycle]],
    %% pids as strings, for file:consult
    ok = file:write_file(filename:join(Dir, "live"),
                         [io_lib:format("~p.~n", [{K, case is_pid(V) of
                                                          true -> pid_to_list(V);
                                                          false -> V
                                                      end}]) || {K, V} <- Live]),
    ok = file:write_file(filename:join(Dir, "ready"), os:getpid()),
    wait_done(filename:join(Dir, "done")),
    erlang:halt(0).

log_hidden(File) ->
    ok = net_kernel:monitor_nodes(true, [{node_type, hidden}]),
    log_hidden_loop(File).

log_hidden_loop(File) ->
    receive
        {nodeup, Node, _} ->
            ok = file:write_file(File, io_lib:format("~w~n", [Node]), [append]),
            log_hidden_loop(File);
        _ -> log_hidden_loop(File)
    end.

wait_done(Done) ->
    receive give_up -> ok
    after 100 ->
            case filelib:is_file(Done) of
                true -> ok;
                false -> wait_done(Done)
            end
    end.
