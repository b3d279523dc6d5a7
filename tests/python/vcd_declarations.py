"""The variables a VCD file declares, read from its header: shared by the trace and GTKWave tests."""


def declared_signals(vcd):
    """Full hierarchical name -> VCD type ("wire", "integer", ...) of every variable `vcd` declares."""
    names, scope = {}, []
    with open(vcd) as f:
        for line in f:
            t = line.split()
            if t[:1] == ["$scope"]:
                scope.append(t[2])
            elif t[:1] == ["$upscope"]:
                scope.pop()
            elif t[:1] == ["$var"]:
                names[".".join(scope + [t[4]])] = t[1]
            elif t[:1] == ["$enddefinitions"]:
                return names
    return names
