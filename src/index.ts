// Public API of weft (see DESIGN.md, "Public API").
export {};
