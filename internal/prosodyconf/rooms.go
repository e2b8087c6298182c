package prosodyconf

import _ "embed"

// RoomsModule is the name under which a Prosody configuration loads
// RoomsModuleSource on its MUC component ("modules_enabled"), from a folder
// in plugin_paths, as the file "mod_" + RoomsModule + ".lua".
const RoomsModule = "medihaven_rooms"

// RoomsModuleSource is mod_medihaven_rooms: the clinic's two rooms (sync@
// and clinic@) are configured by the server when created and whenever
// someone joins, and no client (the workstation that created them
// included) may reconfigure, destroy, ban, kick or register nicknames in
// them. In Prosody 0.12 a room's creator owns it, and that can be any
// member's modified workstation. The file says what it pins and why.
//
//go:embed mod_medihaven_rooms.lua
var RoomsModuleSource []byte
