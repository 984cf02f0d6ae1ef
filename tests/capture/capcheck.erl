%% capcheck: the test side of tests/capture/run.sh.
%%  - frames/1 reads a snapshot on its own (file:read_file, erlang:crc32,
%%    binary_to_term), exactly as docs/snapshot-format.md lays it out;
%%  - loaded/2 writes the modules loaded on the target (asked by this node,
%%    not by the capture);
%%  - verify/2 checks a capture of the scenario against the facts the
%%    scenario recorded; it prints "ok ..." or "FAIL ..." lines and halts
%%    with 0 when everything holds.
-module(capcheck).
-export([frames/1, loaded/1, load/1, tls/1, verify/1, verify_rows/1]).

frames(File) ->
    {ok, Bin} = file:read_file(File),
    case Bin of
        <<137, "BDSNAP\n", 1:16, _Minor:16, Rest/binary>> -> walk(Rest, 12, []);
        _ -> {error, bad_magic, 0}
    end.

walk(<<>>, _, Acc) -> {ok, lists:reverse(Acc)};
walk(<<Len:32, Body:Len/binary, Crc:32, Rest/binary>>, Off, Acc) ->
    case erlang:crc32(Body) of
        Crc -> walk(Rest, Off + 8 + Len, [binary_to_term(Body) | Acc]);
        _ -> {error, bad_crc, Off}
    end;
walk(_, Off, _) -> {error, truncated_frame, Off}.

loaded([Node, Out]) -> loaded(list_to_atom(Node), Out).

loaded(Node, Out) ->
    Mods = lists:sort([M || {M, _} <- erpc:call(Node, code, all_loaded, [], 10000)]),
    ok = file:write_file(Out, [io_lib:format("~w~n", [M]) || M <- Mods]),
    halt(0).

%% What a release started in embedded mode has: every module loaded at boot.
load([Node, Mod]) ->
    {module, _} = erpc:call(list_to_atom(Node), code, ensure_loaded, [list_to_atom(Mod)], 10000),
    halt(0).

%% Certificates for TLS distribution on 127.0.0.1 and DIR/dist.conf, the
%% -ssl_dist_optfile of both sides: each verifies the other's certificate.
tls([Dir]) ->
    Key = [{key, {namedCurve, secp256r1}}],
    %% the client checks the host of the node name against the names here
    San = {'Extension', {2, 5, 29, 17}, false,
           [{dNSName, "127.0.0.1"}, {dNSName, "localhost"}, {iPAddress, <<127, 0, 0, 1>>}]},
    Data = public_key:pkix_test_data(
             #{server_chain => #{root => Key, intermediates => [], peer => Key ++ [{extensions, [San]}]},
               client_chain => #{root => Key, intermediates => [], peer => Key}}),
    Write = fun(Side, Opts) ->
                    F = fun(N) -> filename:join(Dir, atom_to_list(Side) ++ "_" ++ N) end,
                    {KeyType, KeyDer} = proplists:get_value(key, Opts),
                    Pem = fun(Entries) -> public_key:pem_encode([{T, D, not_encrypted} || {T, D} <- Entries]) end,
                    ok = file:write_file(F("cert.pem"), Pem([{'Certificate', proplists:get_value(cert, Opts)}])),
                    ok = file:write_file(F("key.pem"), Pem([{KeyType, KeyDer}])),
                    ok = file:write_file(F("ca.pem"), Pem([{'Certificate', C} || C <- proplists:get_value(cacerts, Opts)])),
                    [{certfile, F("cert.pem")}, {keyfile, F("key.pem")}, {cacertfile, F("ca.pem")}]
            end,
    Server = Write(server, maps:get(server_config, Data)),
    Client = Write(client, maps:get(client_config, Data)),
    ok = file:write_file(filename:join(Dir, "dist.conf"),
                         io_lib:format("~p.~n", [[{server, Server ++ [{verify, verify_peer},
                                                                      {fail_if_no_peer_cert, true}]},
                                                  {client, Client ++ [{verify, verify_peer}]}]])),
    halt(0).

verify([Snap, LiveFile]) ->
    {ok, Live} = file:consult(LiveFile),
    R = try check(Snap, maps:from_list(Live))
        catch C:E:St -> [{false, io_lib:format("checker crashed: ~p:~p ~p", [C, E, St])}]
        end,
    [io:format("~s ~s~n", [case Ok of true -> "ok"; false -> "FAIL" end, What]) || {Ok, What} <- R],
    halt(case lists:all(fun({Ok, _}) -> Ok end, R) of true -> 0; false -> 1 end).

%% Any snapshot: header first, end last, one row per process on the target.
verify_rows([Snap, LiveFile]) ->
    {ok, Live} = file:consult(LiveFile),
    Procs = proplists:get_value(processes, Live),
    case frames(Snap) of
        {ok, [{header, #{}} | _] = Frames} ->
            Rows = length([R || {procs, _, _, Rs} <- Frames, R <- Rs]),
            Ok = element(1, lists:last(Frames)) =:= 'end'
                andalso abs(Rows - Procs) =< max(1, Procs div 100),
            io:format("~s ~w rows for ~w processes~n", [case Ok of true -> ok; false -> 'FAIL' end,
                                                      Rows, Procs]);
        Other -> io:format("FAIL ~p~n", [Other])
    end,
    halt(0).

check(Snap, Live) ->
    {ok, Frames} = frames(Snap),
    [{header, H} | _] = Frames,
    {'end', End} = lists:last(Frames),
    #{capture := Cap} = H,
    Keys = maps:get(keys_p1, Cap),
    Rows = lists:append([Rs || {procs, _, _, Rs} <- Frames]),
    ByPid = maps:from_list([{local(element(1, R)), R} || R <- Rows, element(1, R) =/= dead]),
    Field = fun(Name, K) ->
                    Row = maps:get(maps:get(Name, Live), ByPid),
                    element(1 + index(K, Keys), Row)
            end,
    Detail = maps:from_list([{local(P), D} || {detail, _, Ds} <- Frames, {P, _, D} <- Ds]),
    Bts = maps:from_list([{local(P), B} || {backtrace, Bs} <- Frames, {P, B} <- Bs]),
    Cycle = [dl_a, dl_b, cyc_1, cyc_2, cyc_3],
    Procs = maps:get(processes, Live),
    Ets = [I || {ets, Is} <- Frames, I <- Is],
    [{Atoms, _}] = [{A, L} || {atoms, A, L} <- Frames],
    [{true, "header first, end last"},
     {maps:get(aborted, End) =:= false, "end: not aborted"},
     {maps:get(procs, End) =:= length(Rows), io_lib:format("end counts ~w rows", [length(Rows)])},
     {abs(length(Rows) - Procs) =< max(1, Procs div 100),
      io_lib:format("~w proc rows for ~w processes on the target", [length(Rows), Procs])},
     {maps:get(capturing_pids, Cap) =/= [], "capturing_pids recorded"},
     {Field(hog_srv, message_queue_len) >= 250000,
      io_lib:format("hog_srv queue ~w (target saw ~w)",
                    [Field(hog_srv, message_queue_len), maps:get(hog_queue, Live)])},
     {Field(slice_srv, bin_vheap_size) + Field(slice_srv, bin_old_vheap_size) >= 20 * 131072,
      io_lib:format("slice_srv bin vheap ~w words (target saw ~w)",
                    [Field(slice_srv, bin_vheap_size) + Field(slice_srv, bin_old_vheap_size),
                     maps:get(slice_bin_vheap, Live)])},
     {length([x || {_, 1048576, _} <- binaries(Detail, maps:get(slice_srv, Live))]) =:= 20,
      "slice_srv's binary list names its 20 uploads of 1 MiB"}]
    ++ [{case maps:get(maps:get(N, Live), Detail, none) of
             #{current_function := {gen, do_call, 4}} -> true;
             _ -> false
         end, io_lib:format("~w in a detail frame in gen:do_call/4", [N])} || N <- Cycle]
    ++ [{is_binary(maps:get(maps:get(N, Live), Bts, none)),
         io_lib:format("~w has a backtrace", [N])} || N <- Cycle]
    ++ [{[x || I <- Ets, proplists:get_value(name, I) =:= capture_big,
               proplists:get_value(size, I) =:= 500000] =/= [], "ETS capture_big: 500000 rows"},
        {Atoms >= 20000, io_lib:format("~w atoms", [Atoms])},
        {[S || {sample, _, _, S} <- Frames] =/= [], "a window sample frame"},
        {is_map(maps:get(maps:get(state_srv, Live), Detail, none)),
         "state_srv (top heap) has a detail row"}].

binaries(Detail, Pid) ->
    case maps:get(Pid, Detail, none) of
        #{binary := B} -> B;
        _ -> []
    end.

%% A pid of the target as the target prints it ("<0.85.0>"), as in the live file.
local(P) -> "<0" ++ lists:dropwhile(fun(C) -> C =/= $. end, pid_to_list(P)).

index(K, L) -> length(lists:takewhile(fun(X) -> X =/= K end, L)) + 1.
