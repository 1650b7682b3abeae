# write_module_manifest: one <name>.module.json for dpr's module catalog (src/Fabric/Modules:
# ModuleManifest, camelCase JSON), next to <name>.bin and <name>.hwh. Resources come from Vivado's
# utilization report of the RP cell. The catalog checks the image's SHA-256, parses it and checks that
# its frames lie inside the board profile's partition; sign the manifests with `dpr modules sign`.

proc util_count {report pattern} {
    # Rows of report_utilization look like "| Slice LUTs | 1234 | 0 | 53200 | 2.32 |".
    foreach line [split $report "\n"] {
        if {[regexp "^\\|\\s*${pattern}\\s*\\|\\s*(\[0-9.\]+)" $line -> value]} { return $value }
    }
    return 0
}

proc write_module_manifest {dir name k precision util} {
    set image [file join $dir $name.bin]
    set sha [string tolower [lindex [exec sha256sum $image] 0]]
    set alias "conv${k}x${k}_[string range $precision 3 end]bit"
    set lut  [util_count $util {Slice LUTs\*?}]
    set ff   [util_count $util {Slice Registers}]
    set dsp  [util_count $util {DSPs}]
    set bram [expr {int(ceil([util_count $util {Block RAM Tile}]))}]
    set f [open [file join $dir $name.module.json] w]
    puts $f "{"
    puts $f "  \"name\": \"$name\","
    puts $f "  \"aliases\": \[\"$alias\"\],"
    puts $f "  \"partition\": \"conv\","
    puts $f "  \"image\": \"$name.bin\","
    puts $f "  \"hwh\": \"$name.hwh\","
    puts $f "  \"sha256\": \"$sha\","
    puts $f "  \"kind\": { \"type\": \"convolution\", \"kernelSize\": $k, \"precision\": \"$precision\" },"
    puts $f "  \"registerMap\": \"dpr-conv/1.0\","
    puts $f "  \"resources\": { \"lut\": $lut, \"ff\": $ff, \"dsp\": $dsp, \"bram\": $bram },"
    puts $f "  \"synthetic\": false"
    puts $f "}"
    close $f
}
